/** The `booking` block of timebridge.yaml: checked when the config loads, errors naming the scope, the rule and the field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/app/config.js';
import { TimebridgeError } from '../../src/core/errors.js';

const yaml = (booking: string) => ['store: { path: hub.sqlite }', 'booking:', booking, ''].join('\n');

function refusal(text: string): string {
  try {
    parseConfig(text, 'timebridge.yaml', {});
  } catch (err) {
    assert.ok(err instanceof TimebridgeError);
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.message;
  }
  assert.fail('the config was accepted');
}

describe('booking rules in timebridge.yaml', () => {
  it('loads rules per scope in order', () => {
    const c = parseConfig(
      yaml(
        [
          '  work:',
          '    - { name: acme, when: { summary: acme }, set: { project: Website, activity: Design } }',
          '    - { name: jira, when: { jiraProject: ABC }, set: { project: ABC } }',
        ].join('\n'),
      ),
      'timebridge.yaml',
      {},
    );
    assert.deepEqual(
      c.config.booking.work!.map((r) => r.name),
      ['acme', 'jira'],
    );
  });

  it('names the rule and the field of each mistake', () => {
    const msg = refusal(
      yaml(
        [
          '  work:',
          '    - { name: no-condition, when: {}, set: { project: Website } }',
          '    - { name: bad-regex, when: { summaryRegex: "([" }, set: { project: Website } }',
          '    - { name: typo, when: { sumary: acme }, set: { project: Website } }',
          '    - { name: nothing, when: { summary: x }, set: {} }',
        ].join('\n'),
      ),
    );
    assert.match(msg, /booking\.work\.0\.when \(rule "no-condition"\): needs at least one condition/);
    assert.match(msg, /booking\.work\.1\.when\.summaryRegex \(rule "bad-regex"\): is not a valid regular expression/);
    assert.match(msg, /booking\.work\.2\.when \(rule "typo"\): .*sumary/);
    assert.match(msg, /booking\.work\.3\.set \(rule "nothing"\): sets nothing/);
  });

  it('refuses a rule name used twice in a scope', () => {
    const msg = refusal(
      yaml(
        ['  work:', '    - { name: a, when: { summary: x }, set: { project: P } }', '    - { name: a, when: { summary: y }, set: { project: P } }'].join('\n'),
      ),
    );
    assert.match(msg, /booking\.work\.1\.name \(rule "a"\): rule name "a" is used twice/);
  });
});
