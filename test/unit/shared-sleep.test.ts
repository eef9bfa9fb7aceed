import { sleep } from '../../shared/sleep';

describe('sleep (the default of injectable sleeps)', () => {
  it('is cancelled by its signal without waiting out the timer', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses at once when the signal is already aborted', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('resolves for 0 and for negative waits', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-5)).resolves.toBeUndefined();
  });
});
