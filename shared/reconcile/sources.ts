/**
 * The four Zoom listings a run reads, each paged with next_page_token at page size 300:
 * recordings (by recording_end_time), engagements (with their notes and dispositions),
 * voicemails (inbox messages of type voicemail) and messaging transcripts.
 */
import type { PageQuery, ZoomApiClient } from '../zoom/api-client';
import { entriesOfEngagement, entriesOfMessagingTranscript, entriesOfRecording, entriesOfVoicemail, type ExpectedEntry } from './expected';

export const SOURCES = ['recordings', 'engagements', 'voicemails', 'messaging'] as const;
export type SourceName = (typeof SOURCES)[number];

export const PAGE_SIZE = 300;

export interface ListedPage {
  /** Items Zoom returned on the page. */
  listed: number;
  entries: ExpectedEntry[];
  nextPageToken: string | undefined;
  totalRecords: number | undefined;
}

export async function listSourcePage(zoom: ZoomApiClient, source: SourceName, query: PageQuery, accountId: string): Promise<ListedPage> {
  const q = { ...query, pageSize: query.pageSize ?? PAGE_SIZE };
  switch (source) {
    case 'recordings': {
      const page = await zoom.listRecordingsPage(q);
      return { listed: page.recordings.length, entries: page.recordings.flatMap((r) => entriesOfRecording(r, accountId)), nextPageToken: page.next_page_token || undefined, totalRecords: page.total_records };
    }
    case 'engagements': {
      const page = await zoom.listEngagementsPage(q);
      return { listed: page.engagements.length, entries: page.engagements.flatMap((e) => entriesOfEngagement(e, accountId)), nextPageToken: page.next_page_token || undefined, totalRecords: page.total_records };
    }
    case 'voicemails': {
      const page = await zoom.listVoicemailsPage(q);
      return { listed: page.messages.length, entries: page.messages.flatMap((v) => entriesOfVoicemail(v, accountId)), nextPageToken: page.next_page_token || undefined, totalRecords: page.total_records };
    }
    case 'messaging': {
      const page = await zoom.listMessagingTranscriptsPage(q);
      return { listed: page.transcripts.length, entries: page.transcripts.flatMap((m) => entriesOfMessagingTranscript(m, accountId)), nextPageToken: page.next_page_token || undefined, totalRecords: page.total_records };
    }
  }
}
