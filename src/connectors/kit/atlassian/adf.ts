/**
 * Atlassian Document Format, as far as worklog comments need it: plain text in
 * (one paragraph per line), plain text out (paragraphs and hard breaks as new lines).
 */

export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  version?: number;
}

export function textToAdf(text: string): AdfNode {
  const paragraphs = text.split('\n').map((line): AdfNode => ({
    type: 'paragraph',
    content: line ? [{ type: 'text', text: line }] : [],
  }));
  return { type: 'doc', version: 1, content: paragraphs };
}

/** The text of a document; block nodes become lines. Marks and unknown inline nodes keep their text. */
export function adfToText(doc: AdfNode | null | undefined): string {
  if (!doc) return '';
  const lines: string[] = [];
  const inline = (n: AdfNode): string => {
    if (n.type === 'text') return n.text ?? '';
    if (n.type === 'hardBreak') return '\n';
    if (n.type === 'mention' || n.type === 'emoji') return String(n.attrs?.text ?? '');
    return (n.content ?? []).map(inline).join('');
  };
  const block = (n: AdfNode): void => {
    if (n.type === 'paragraph' || n.type === 'heading' || n.type === 'codeBlock') {
      lines.push((n.content ?? []).map(inline).join(''));
      return;
    }
    for (const c of n.content ?? []) block(c);
  };
  block(doc);
  return lines.join('\n');
}
