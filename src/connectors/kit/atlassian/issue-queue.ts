/**
 * Writes to one issue, one at a time: each worklog write moves the issue's time spent
 * and remaining estimate, and two at once could leave those wrong (and trip Jira's
 * `jira-per-issue-on-write` limit). Writes to different issues still run side by side.
 */
export class IssueQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(issueId: string, write: () => Promise<T>): Promise<T> {
    const before = this.tails.get(issueId) ?? Promise.resolve();
    const mine = before.then(write, write);
    const tail = mine.catch(() => undefined);
    this.tails.set(issueId, tail);
    void tail.then(() => {
      if (this.tails.get(issueId) === tail) this.tails.delete(issueId);
    });
    return mine;
  }
}
