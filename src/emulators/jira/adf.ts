/** Atlassian Document Format as the emulated Jira stores it (api-contracts: comments are ADF documents in REST v3). */
export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  version?: number;
}

/** A plain text as a document, one paragraph per line, the way Jira's editor saves typed text. */
export function adfDocument(text: string): AdfNode {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line === '' ? [] : [{ type: 'text', text: line }] })),
  };
}
