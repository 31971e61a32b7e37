#!/usr/bin/env node
/**
 * Starts the Google Sheets emulator for a demo without a Google account:
 *   npx wapipe-sheets-emulator [--port 8085] [--host 127.0.0.1]
 * It holds one spreadsheet (id demo-spreadsheet-0001, sheets Log and Products) in memory and
 * hands out service-account keys at /emulator/key (the wa-sheets form has a button for it).
 */
import { DEMO_SPREADSHEET_ID, seedDemoSpreadsheet } from "./demo";
import { SheetsEmulator } from "./sheets-emulator";

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

async function main(): Promise<void> {
  const port = Number(option("port", "8085"));
  const host = option("host", "127.0.0.1");
  const emulator = new SheetsEmulator();
  seedDemoSpreadsheet(emulator);
  const url = await emulator.start(port, host);
  console.log(`Google Sheets emulator on ${url}`);
  console.log(`  spreadsheet id: ${DEMO_SPREADSHEET_ID} (sheets Log, Products)`);
  console.log(`  a service-account key: ${url}/emulator/key (or the button in the Google Sheets config node)`);
  const report = setInterval(
    () =>
      console.log(
        `  calls: ${emulator.counts.total} (reads ${emulator.counts.reads}, writes ${emulator.counts.writes}, refused by quota ${emulator.counts.rejectedByQuota})`,
      ),
    60_000,
  );
  const stop = () => {
    clearInterval(report);
    void emulator.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
