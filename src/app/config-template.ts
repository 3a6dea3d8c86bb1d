/** The commented example `timebridge init` writes. Kept valid by a test that parses it. */
export const CONFIG_TEMPLATE = `# Timebridge configuration. Every key can be overridden from the environment:
# TIMEBRIDGE_<KEY>__<SUBKEY>=value, e.g. TIMEBRIDGE_STORE__PATH=/var/lib/timebridge/hub.sqlite
# or TIMEBRIDGE_LINKS__WORK__DIRECTION=pull. TIMEBRIDGE_CONFIG names another config file.

store:
  type: sqlite                     # the embedded default; one file, WAL mode
  path: .timebridge/hub.sqlite     # relative to this file's folder

# Accounts and places Timebridge talks to. Paths are relative to this file's folder.
connections:
  laptop:
    type: ics-folder               # a folder with one .ics file per event (vdir layout)
    path: calendars/laptop
    create: true                   # make the folder if it is missing
  shared:
    type: ics-folder
    path: calendars/shared
    create: true
    # fsync: true                  # survive power loss too (slower)

# A link binds one external collection to a hub scope. Links with the same scope
# stay in sync with each other through the hub.
links:
  laptop:
    connection: laptop
    scope: team                    # the hub collection (letters, digits, - and _)
    # kind: event                  # default: the connector's main kind
    direction: both                # pull (into the hub) | push (out of it) | both | mirror: out of it, and
                                   # edits and deletions made remotely are undone from the hub (a one-way
                                   # copy; the default of google-export links, the others default to both)
    conflict: keep-both            # hub-wins | external-wins | newest-wins | keep-both (flag, write nothing)
    fieldOwners: {}                # e.g. { summary: hub, location: external } — wins a field changed on both sides
    deletes:
      toExternal: true             # a hub deletion deletes the external item
      toHub: true                  # an external deletion tombstones the hub record (undo restores it)
    guard:
      maxDeleteCount: 10           # stop a run deleting more than this many items...
      maxDeleteShare: 0.25         # ...and more than this share of them (confirm with --allow-deletes)
  shared:
    connection: shared
    scope: team

# Booking rules (per scope, first match wins) book time entries that arrive without a
# person, project or activity, such as events a google-import link brings in. A rule fills
# only what the entry lacks; person/project/activity name a hub record by id or by name.
# Conditions: link, summary (keywords), summaryRegex, attendee, organizer, jiraProject, issueKey.
# booking:
#   hours:
#     - name: acme
#       when: { summary: acme }
#       set: { person: ann, project: Website, activity: Design, tags: [client] }

# Office attendance (moffman's POST /api/v1/reservations): offices, each shown in a Google
# calendar by a link with mapper google-attendance (externalKind: attendance, options: { office: <id> }).
# attendance:
#   scope: office
#   colors: { pending: "4", approved: "5" }
#   offices:
#     - { id: prague, name: Prague, calendar: prague@group.calendar.google.com, connection: google }
#     - { id: brno, name: Brno, connection: google }   # no calendar id: made, shared and kept on first use
#   calendars: { summary: "{name} office", shareWith: [{ email: team@example.com, role: writer }] }
`;
