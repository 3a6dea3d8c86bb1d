import { runPlannerBench } from './planner-bench.js';
console.log(JSON.stringify(await runPlannerBench(Number(process.argv[2]), 5), null, 1));
