import { format, inspect } from 'node:util';
import * as z from 'zod';
import { ConfigError, envBool, envInt, envList, parseConfig, Secret, secret, secretValues } from '../../shared/config';
import { createFunctionRuntime } from '../../shared/runtime';

const schema = z.object({
  ZOOM_WEBHOOK_SECRET: secret(16),
  WINDOW_SECONDS: envInt(1, 3600).default(300),
  STRICT: envBool().default(false),
  ORIGINS: envList().default([]),
});

describe('configuration', () => {
  test('parses and defaults values from an injected env', () => {
    const config = parseConfig('test', schema, { ZOOM_WEBHOOK_SECRET: 'abcdefghijklmnopq', STRICT: 'true', ORIGINS: 'https://a.example, https://b.example' });
    expect(config.WINDOW_SECONDS).toBe(300);
    expect(config.STRICT).toBe(true);
    expect(config.ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config.ZOOM_WEBHOOK_SECRET.reveal()).toBe('abcdefghijklmnopq');
  });

  test('fails fast listing every bad key, without echoing any value', () => {
    let error: unknown;
    try {
      parseConfig('zoom-webhook', schema, { ZOOM_WEBHOOK_SECRET: 'short-secret', WINDOW_SECONDS: 'soon', STRICT: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/ZOOM_WEBHOOK_SECRET/);
    expect(problems.join('\n')).toMatch(/WINDOW_SECONDS/);
    expect(problems.join('\n')).toMatch(/STRICT/);
    expect((error as Error).message).not.toContain('short-secret');
  });

  test('secrets never serialise or print', () => {
    const s = new Secret('super-secret-value');
    expect(JSON.stringify({ s })).toBe('{"s":"[secret]"}');
    expect(`${s}`).toBe('[secret]');
    // What console.log and util.format print.
    expect(inspect({ s })).not.toContain('super-secret-value');
    expect(format('%s %o %j', s, s, { s })).not.toContain('super-secret-value');
    expect(secretValues({ a: { b: [s] } })).toEqual(['super-secret-value']);
  });

  test('a function refuses to start without its project, listing it with every other missing key (no local default)', () => {
    let error: unknown;
    try {
      createFunctionRuntime('t', { LOG_LEVEL: 'info' }, { ZOOM_WEBHOOK_SECRET: secret(16) }, { log: () => undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['GCP_PROJECT', 'ZOOM_WEBHOOK_SECRET']);
    const { config } = createFunctionRuntime(
      't',
      { GCP_PROJECT: 'my-project', ZOOM_WEBHOOK_SECRET: 'abcdefghijklmnopq' },
      { ZOOM_WEBHOOK_SECRET: secret(16) },
      { log: () => undefined },
    );
    expect(config.GCP_PROJECT).toBe('my-project');
  });

  test("a function's logger masks the secrets of its own configuration", () => {
    const lines: string[] = [];
    const { log } = createFunctionRuntime(
      't',
      { GCP_PROJECT: 'ccbridge-test', ZOOM_WEBHOOK_SECRET: 'abcdefghijklmnopq' },
      { ZOOM_WEBHOOK_SECRET: secret(16) },
      { log: (l) => lines.push(l) },
    );
    log.info('leak attempt abcdefghijklmnopq');
    expect(lines.join('')).not.toContain('abcdefghijklmnopq');
  });
});
