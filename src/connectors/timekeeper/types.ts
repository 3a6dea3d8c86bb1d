/** Timekeeper's resources as the connector reads and writes them (api-contracts-more.md §3). */

/** A work log (`cal:Vevent`): a day, a length, a task and a person, with the Kimai ids they lead to. */
export interface WorkLog {
  /** `cal:dtstart`, YYYY-MM-DD (day precision). */
  date: string;
  /** `cal:duration` in seconds; null when it is missing or not an ISO-8601 duration. */
  durationSeconds: number | null;
  /** `prov:wasAssociatedWith`: the person's URI. */
  person: string | null;
  /** `dct:subject`: the task's URI. */
  task: string | null;
  /** `dct:identifier` of the person's Kimai account (by the connection's Kimai homepage). */
  kimaiUserId: string | null;
  /** `dct:identifier` of the task when it is an `ext:KimaiActivity`. */
  kimaiActivityId: string | null;
  /** `dct:identifier` of the activity's `skos:broader` `doap:Project`. */
  kimaiProjectId: string | null;
}

/** A monthly timesheet (`skos:Collection`). */
export interface Timesheet {
  /** `time:hasBeginning`, YYYY-MM. */
  month: string;
  state: 'draft' | 'absence-submitted' | 'submitted' | 'exported';
  person: string | null;
  kimaiUserId: string | null;
}

/** The Kimai taxonomy as Timekeeper mirrors it: customers (`prov:Organization`), projects and activities (`wf:Task` in the workspace scheme). */
export interface Concept {
  /** `dct:identifier`: the Kimai id. */
  kimaiId: string;
  /** `rdfs:label`. */
  name: string;
  /** `ui:color`. */
  color: string | null;
  /** The parent's Kimai id: a project's customer (`prov:wasAttributedTo`), an activity's project (`skos:broader`); null for customers and global activities. */
  parent: string | null;
}

/** `account`: a Kimai account (`foaf:OnlineAccount` with the Kimai homepage; its name is `foaf:accountName`, the Kimai username). */
export type ConceptKind = 'customer' | 'project' | 'activity' | 'account';

export type TimekeeperItem = WorkLog | Timesheet | Concept;
