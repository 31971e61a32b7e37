import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPipelineStress } from "../test/support/pipeline-stress";
import { provenance } from "./provenance";

// The bundled five-stage pipeline in a real Node-RED on the embedded store: 1,000 chats at once, 10 text
// messages each, then the same with a SIGTERM and a restart in the middle. Writes bench/results/pipeline.json.

async function main(): Promise<void> {
  const chats = Number(process.env.PIPELINE_CHATS ?? 1000);
  const messagesPerChat = Number(process.env.PIPELINE_MESSAGES ?? 10);
  console.log(`five-stage pipeline: ${chats} chats × ${messagesPerChat} messages on the embedded store`);
  const steady = await runPipelineStress({ chats, messagesPerChat, timeoutMs: 1_200_000 });
  console.log(JSON.stringify(steady));
  console.log("the same with a SIGTERM after a third of the replies, and a restart");
  const interrupted = await runPipelineStress({
    chats,
    messagesPerChat,
    sigtermAfterReplies: Math.round((chats * messagesPerChat) / 3),
    timeoutMs: 1_200_000,
  });
  console.log(JSON.stringify(interrupted));
  const strip = ({ drainLog, ...rest }: typeof steady) => ({
    ...rest,
    drainLog: drainLog.map((line) => line.replace(/^.*?\[wa-pipeline\] /, "")),
  });
  const result = { ...provenance(), command: "npm run bench", steady: strip(steady), sigterm: strip(interrupted) };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(join(__dirname, "results", "pipeline.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("written to bench/results/pipeline.json");
  const failed = [steady, interrupted].filter((run) => run.lost > 0 || run.duplicateRows > 0 || run.chatsOutOfOrder > 0);
  if (failed.length > 0) {
    console.error("the pipeline lost, repeated or reordered messages: see the figures above");
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
