/** `timebridge plan [link…]` and `timebridge apply <plan.json>`: review before anything is written. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { TimebridgeError } from '../../../core/errors.js';
import type { Plan } from '../../../core/plan-types.js';
import { assertSamePlan, planLink, runLink } from '../../../runtime/run-link.js';
import { recoverIntents } from '../../../runtime/recover.js';
import { runDeps, selectLinks, withApp, type GlobalOpts } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatPlan, formatRun } from '../format.js';
import { exitCodeOf } from './sync.js';

export interface PlanFile {
  timebridgePlan: 1;
  createdAt: string;
  plans: { link: string; plan: Plan }[];
}

function readPlanFile(file: string): PlanFile {
  let doc: PlanFile;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as PlanFile;
  } catch (err) {
    throw new TimebridgeError('PLAN_INVALID', `cannot read plan file ${file}: ${(err as Error).message}`, {
      hint: 'write one with `timebridge plan --out plan.json`',
    });
  }
  if (doc?.timebridgePlan !== 1 || !Array.isArray(doc.plans)) {
    throw new TimebridgeError('PLAN_INVALID', `${file} is not a Timebridge plan file`, { hint: 'write one with `timebridge plan --out plan.json`' });
  }
  return doc;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what a sync would do, without writing anything')
    .argument('[links...]', 'names of links to plan (all when none)')
    .option('--full', 'reconcile the whole hub scope')
    .option('--json', 'print the plan file as JSON on stdout')
    .option('--out <file>', 'also save the plan file, for `timebridge apply`')
    .action(async (names: string[], o: { full?: boolean; json?: boolean; out?: string }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const deps = runDeps(app);
        const file: PlanFile = { timebridgePlan: 1, createdAt: app.clock().toISOString(), plans: [] };
        for (const link of selectLinks(app, names)) {
          // Resolving open intents first makes the plan match what `apply` will see.
          await recoverIntents(link, deps);
          const { plan } = await planLink(link, deps, { trigger: 'plan', full: o.full ?? false });
          deps.done();
          file.plans.push({ link: link.name, plan });
          if (!o.json) process.stdout.write(formatPlan(link.name, plan) + '\n');
        }
        if (o.out) fs.writeFileSync(o.out, JSON.stringify(file, null, 1));
        if (o.json) process.stdout.write(JSON.stringify(file, null, 1) + '\n');
        else if (o.out) process.stdout.write(`plan saved to ${o.out}; apply it with: timebridge apply ${o.out}\n`);
        process.exitCode = file.plans.some((p) => !p.plan.guard.ok) ? EXIT.GUARD : EXIT.OK;
      });
    });

  program
    .command('apply')
    .description('apply a saved plan exactly; refused if either side changed since it was made')
    .argument('<plan-file>', 'a file written by `timebridge plan --out`')
    .option('--allow-deletes', 'confirm deletions that a safety guard would stop')
    .action(async (file: string, o: { allowDeletes?: boolean }, cmd: Command) => {
      const doc = readPlanFile(file);
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const deps = runDeps(app);
        // Check every link before writing anything, so a drifted plan writes nothing at all.
        for (const { link: name, plan } of doc.plans) {
          const [link] = selectLinks(app, [name]);
          await recoverIntents(link!, deps);
          assertSamePlan(plan, (await planLink(link!, deps, { trigger: 'apply-check', allowDeletes: o.allowDeletes ?? false })).plan);
        }
        const results = [];
        const written = new Set<string>();
        for (const { link: name, plan } of doc.plans) {
          const [link] = selectLinks(app, [name]);
          const r = await runLink(link!, deps, { trigger: `apply:${file}`, expect: plan, expectTolerates: written, allowDeletes: o.allowDeletes ?? false });
          deps.done();
          results.push(r);
          for (const c of await app.store.changesOfRun(r.run.id)) written.add(c.recordId);
          process.stdout.write(formatRun(r.run) + '\n');
        }
        process.exitCode = exitCodeOf(results);
      });
    });
}
