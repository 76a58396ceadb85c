import { compileTeam } from "../components/compile";
import { generatedTeam } from "../test/fixtures/generatedTeam";
const team = generatedTeam(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 15));
compileTeam(structuredClone(team));
const t0 = performance.now();
compileTeam(team);
console.log("compileTeam", performance.now() - t0);
