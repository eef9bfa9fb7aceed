/**
 * The three Zoom listings a run reads, each paged with next_page_token at that listing's
 * largest page size (docs/contracts/zoom.md#endpoints-used): recordings (by
 * recording_end_time, 300), engagements (with their notes, dispositions and messaging
 * transcript_url, 100) and voicemails (inbox messages of type voicemail, 300). Zoom has no
 * listing of messaging transcripts: they are found on their engagements.
 */
import type { ZoomPage } from '../zoom/api-schemas';
import { type PageQuery, ZOOM_PAGE_SIZE_MAX, type ZoomApiClient } from '../zoom/api-client';
import { entriesOfEngagement, entriesOfRecording, entriesOfVoicemail, type ExpectedEntry, skippedEntry } from './expected';
import type { ReportType } from './report';

export const SOURCES = ['recordings', 'engagements', 'voicemails'] as const;
export type SourceName = (typeof SOURCES)[number];

/** Items per page of each listing: its documented maximum. */
export const PAGE_SIZES: Record<SourceName, number> = {
  recordings: ZOOM_PAGE_SIZE_MAX.recordings,
  engagements: ZOOM_PAGE_SIZE_MAX.engagements,
  voicemails: ZOOM_PAGE_SIZE_MAX.inboxMessages,
};

/** What an item of a listing would have become, had it been usable. */
const TYPE_OF_SOURCE: Record<SourceName, ReportType> = { recordings: 'recording', engagements: 'note', voicemails: 'voicemail' };

export interface ListedPage {
  /** Items Zoom returned on the page (skipped ones included). */
  listed: number;
  entries: ExpectedEntry[];
  nextPageToken: string | undefined;
  totalRecords: number | undefined;
}

export async function listSourcePage(zoom: ZoomApiClient, source: SourceName, query: PageQuery, accountId: string): Promise<ListedPage> {
  const q = { ...query, pageSize: query.pageSize ?? PAGE_SIZES[source] };
  const of = <T>(page: ZoomPage<T>, entries: (item: T) => ExpectedEntry[]): ListedPage => ({
    listed: page.items.length + page.skipped.length,
    // An item lacking what it needs is reported (failed, with the reason); the page goes on.
    entries: [...page.items.flatMap(entries), ...page.skipped.map((s) => skippedEntry(TYPE_OF_SOURCE[source], source, s))],
    nextPageToken: page.next_page_token,
    totalRecords: page.total_records,
  });
  switch (source) {
    case 'recordings':
      return of(await zoom.listRecordingsPage(q), (r) => entriesOfRecording(r, accountId));
    case 'engagements':
      return of(await zoom.listEngagementsPage(q), (e) => entriesOfEngagement(e, accountId));
    case 'voicemails':
      return of(await zoom.listVoicemailsPage(q), (v) => entriesOfVoicemail(v, accountId));
  }
}
