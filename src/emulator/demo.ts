import { SheetsEmulator } from "./sheets-emulator";

/** The demo spreadsheet every demo emulator holds: a Log sheet for rows and a small Products sheet to read. */
export const DEMO_SPREADSHEET_ID = "demo-spreadsheet-0001";

export function seedDemoSpreadsheet(emulator: SheetsEmulator): void {
  emulator.model.create(DEMO_SPREADSHEET_ID, "WhatsApp pipeline demo", [
    { title: "Log", rowCount: 1000, columnCount: 10 },
    { title: "Products" },
  ]);
  emulator.model.update(
    DEMO_SPREADSHEET_ID,
    "Products!A1",
    [
      ["sku", "name", "price"],
      ["TEA-1", "Green tea", 3.5],
      ["COF-2", "Coffee beans", 9.9],
      ["MUG-3", "Mug", 7],
      ["CAKE-4", "Carrot cake", 4.2],
    ],
    "RAW",
  );
}
