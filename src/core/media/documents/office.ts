import { DocumentLimits, DocumentResult, DocumentTable, TextBudget, unreadableDocument } from "./limits";
import { xmlTokens, firstElementText } from "./xml";
import { ZipArchive } from "./zip";

/** Title, author and dates from docProps/core.xml, where the document has them. */
function officeMetadata(zip: ZipArchive): Record<string, string> {
  const core = zip.text("docProps/core.xml");
  const metadata: Record<string, string> = {};
  if (!core) return metadata;
  for (const [key, element] of [
    ["title", "dc:title"],
    ["subject", "dc:subject"],
    ["author", "dc:creator"],
    ["lastModifiedBy", "cp:lastModifiedBy"],
    ["created", "dcterms:created"],
    ["modified", "dcterms:modified"],
  ] as const) {
    const value = firstElementText(core, element);
    if (value) metadata[key] = value.slice(0, 500);
  }
  return metadata;
}

/** Paragraph text and tables of a Word document (word/document.xml). */
export function readDocx(zip: ZipArchive, limits: DocumentLimits): DocumentResult {
  const xml = zip.text("word/document.xml");
  if (xml === undefined) throw unreadableDocument("a DOCX without word/document.xml");
  const text = new TextBudget(limits.maxChars);
  const tables: DocumentTable[] = [];
  const notes: string[] = [];
  let paragraph = "";
  let paragraphs = 0;
  let inText = false;
  // Tables can nest; the innermost open one receives the cells.
  const openTables: { rows: string[][]; row?: string[]; cell?: string; truncated: boolean }[] = [];
  for (const token of xmlTokens(xml)) {
    if ("text" in token) {
      if (inText) paragraph += token.text;
      continue;
    }
    const { name, closing, selfClosing } = token.tag;
    if (name === "w:t") inText = !closing && !selfClosing;
    else if (name === "w:tab" && !closing) paragraph += "\t";
    else if ((name === "w:br" || name === "w:cr") && !closing) paragraph += "\n";
    else if (name === "w:p" && (closing || selfClosing)) {
      paragraphs += 1;
      const table = openTables.at(-1);
      if (table?.cell !== undefined) table.cell += (table.cell ? "\n" : "") + paragraph;
      text.add(`${paragraph}\n`);
      paragraph = "";
    } else if (name === "w:tbl") {
      if (!closing) openTables.push({ rows: [], truncated: false });
      else {
        const table = openTables.pop();
        if (table) tables.push({ name: `Table ${tables.length + 1}`, rows: table.rows, truncated: table.truncated });
      }
    } else if (name === "w:tr") {
      const table = openTables.at(-1);
      if (!table) continue;
      if (!closing) table.row = [];
      else if (table.row) {
        if (table.rows.length < limits.maxRows) table.rows.push(table.row);
        else table.truncated = true;
        table.row = undefined;
      }
    } else if (name === "w:tc") {
      const table = openTables.at(-1);
      if (!table) continue;
      if (!closing) table.cell = "";
      else if (table.cell !== undefined) {
        table.row?.push(table.cell);
        table.cell = undefined;
      }
    }
  }
  if (text.full) notes.push(`text cut at ${limits.maxChars} characters`);
  if (tables.some((t) => t.truncated)) notes.push(`tables cut at ${limits.maxRows} rows`);
  return {
    kind: "docx",
    text: text
      .toString()
      .replace(/\n{3,}/g, "\n\n")
      .trim(),
    total: paragraphs,
    tables,
    metadata: officeMetadata(zip),
    truncated: notes.length > 0,
    notes,
  };
}

/** Column letters of a cell reference ("BC12" -> 54, zero-based 54). */
function columnIndex(reference: string): number {
  let column = 0;
  for (const ch of reference) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    column = column * 26 + (code - 64);
  }
  return Math.max(0, column - 1);
}

const MAX_COLUMNS = 1_000;

/** Every sheet's rows as text (shared strings resolved, formulas' cached values), bounded by rows and text. */
export function readXlsx(zip: ZipArchive, limits: DocumentLimits): DocumentResult {
  const workbook = zip.text("xl/workbook.xml");
  if (workbook === undefined) throw unreadableDocument("an XLSX without xl/workbook.xml");
  const relations = new Map<string, string>();
  for (const token of xmlTokens(zip.text("xl/_rels/workbook.xml.rels") ?? "")) {
    if ("tag" in token && token.tag.name === "Relationship")
      relations.set(token.tag.attributes.Id ?? "", token.tag.attributes.Target ?? "");
  }
  const sheets: { name: string; path: string }[] = [];
  for (const token of xmlTokens(workbook)) {
    if ("tag" in token && token.tag.name === "sheet" && !token.tag.closing) {
      const target = relations.get(token.tag.attributes["r:id"] ?? "") ?? "";
      const path = target.startsWith("/") ? target.slice(1) : `xl/${target.replace(/^\.\//, "")}`;
      sheets.push({ name: token.tag.attributes.name ?? `Sheet ${sheets.length + 1}`, path });
    }
  }
  const shared: string[] = [];
  let current: string | undefined;
  let inText = false;
  for (const token of xmlTokens(zip.text("xl/sharedStrings.xml") ?? "")) {
    if ("text" in token) {
      if (inText && current !== undefined) current += token.text;
    } else if (token.tag.name === "si") {
      if (!token.tag.closing) current = "";
      else if (current !== undefined) {
        shared.push(current);
        current = undefined;
      }
    } else if (token.tag.name === "t") inText = !token.tag.closing && !token.tag.selfClosing;
  }
  const text = new TextBudget(limits.maxChars);
  const tables: DocumentTable[] = [];
  const notes: string[] = [];
  for (const sheet of sheets) {
    const xml = zip.text(sheet.path);
    if (xml === undefined) continue;
    const rows: string[][] = [];
    let truncated = false;
    let row: string[] | undefined;
    let cell: { column: number; type: string; value: string } | undefined;
    let inValue = false;
    for (const token of xmlTokens(xml)) {
      if ("text" in token) {
        if (inValue && cell) cell.value += token.text;
        continue;
      }
      const { name, closing, selfClosing, attributes } = token.tag;
      if (name === "row") {
        if (!closing && !selfClosing) row = [];
        else if (row) {
          if (rows.length >= limits.maxRows) {
            truncated = true;
            break;
          }
          rows.push(row);
          row = undefined;
        }
      } else if (name === "c") {
        if (!closing) cell = { column: Math.min(columnIndex(attributes.r ?? ""), MAX_COLUMNS), type: attributes.t ?? "n", value: "" };
        if ((closing || selfClosing) && cell && row) {
          const value =
            cell.type === "s"
              ? (shared[Number(cell.value)] ?? "")
              : cell.type === "b"
                ? cell.value === "1"
                  ? "TRUE"
                  : "FALSE"
                : cell.value;
          if (cell.column < MAX_COLUMNS) {
            while (row.length < cell.column) row.push("");
            row[cell.column] = value;
          }
          cell = undefined;
        }
      } else if (name === "v" || name === "t") inValue = !closing && !selfClosing;
    }
    tables.push({ name: sheet.name, rows, truncated });
    if (truncated) notes.push(`sheet ${sheet.name} cut at ${limits.maxRows} rows`);
    text.add(`# ${sheet.name}\n${rows.map((r) => r.join("\t")).join("\n")}\n\n`);
  }
  if (text.full) notes.push(`text cut at ${limits.maxChars} characters`);
  return {
    kind: "xlsx",
    text: text.toString().trim(),
    total: sheets.length,
    tables,
    metadata: officeMetadata(zip),
    truncated: notes.length > 0,
    notes,
  };
}
