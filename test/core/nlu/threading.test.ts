import assert from "node:assert/strict";
import {
  ChatThreadState,
  DEFAULT_THREAD_OPTIONS,
  ThreadMessage,
  assignThread,
  closeQuietThreads,
  entityKeysOf,
  initialThreadState,
} from "../../../src/core/nlu/threading";

const MIN = 60_000;

/** Runs messages through one chat and returns each one's thread number and reason. */
function thread(
  messages: Partial<ThreadMessage>[],
  options = DEFAULT_THREAD_OPTIONS,
): { numbers: number[]; reasons: string[]; state: ChatThreadState } {
  let state = initialThreadState();
  const numbers: number[] = [];
  const reasons: string[] = [];
  messages.forEach((m, i) => {
    const step = assignThread(state, { id: `m${i}`, from: "chat@c.us", text: "", at: i * MIN, isGroup: false, ...m }, options);
    state = step.state;
    numbers.push(step.decision.number);
    reasons.push(step.decision.reason);
  });
  return { numbers, reasons, state };
}

describe("thread engine", () => {
  it("keeps a one-to-one chat in one thread until a cue opens another, and goes back by topic after a gap", () => {
    const { numbers, reasons } = thread([
      { text: "hi, my order #1187 was charged twice", at: 0 },
      { text: "can you refund the duplicate charge?", at: 2 * MIN },
      { text: "also unrelated but is the Trailhead backpack waterproof?", at: 5 * MIN },
      { text: "and does it ship free?", at: 6 * MIN },
      { text: "just saw the duplicate charge refund come through", at: 300 * MIN },
      { text: "the Trailhead backpack in olive then", at: 302 * MIN },
    ]);
    assert.deepEqual(numbers, [1, 1, 2, 2, 1, 2]);
    assert.deepEqual(reasons.slice(2, 5), ["new-topic", "continued", "topic"]);
  });

  it("opens a new thread for a new subject after a thanks, in other languages too", () => {
    const { numbers, reasons } = thread([
      { text: "Ich habe eine Kaffeemühle bestellt, wann wird sie verschickt?" },
      { text: "Super, vielen Dank für die schnelle Antwort!" },
      { text: "Was kosten eigentlich die Filterpapiere Größe 4?" },
      { text: "Übrigens, die Beratung letztes Mal war top" },
    ]);
    assert.deepEqual(numbers, [1, 1, 2, 3]);
    assert.deepEqual(reasons.slice(2), ["after-closing", "new-topic"]);
    const back = thread([
      { text: "I got charged twice for the same order, $64.50 and another $64.50 on my card", at: 0 },
      { text: "can you refund the duplicate one?", at: MIN },
      { text: "also unrelated but is the Trailhead 40L backpack waterproof?", at: 10 * MIN },
      { text: "just saw the refund come through, thanks Dana!", at: 200 * MIN },
      { text: "ok I'll take the Trailhead 40L backpack in olive, same card", at: 201 * MIN },
    ]);
    assert.deepEqual(
      back.numbers,
      [1, 1, 2, 1, 2],
      "after a thanks the next message goes where it fits best, though it shares 'same' and 'card' with the thanked thread",
    );
    assert.equal(back.reasons[4], "topic");
  });

  it("reads a new-topic cue only at the start, takes an acceptance for no goodbye, and resumes by any shared word", () => {
    const spanish = thread([
      { text: "Che, el link de Mercado Pago me tira error" },
      { text: "Les transfiero al alias entonces? pasame el CBU o alias" },
      { text: "y por cierto, tienen yerba de 1kg?" },
    ]);
    assert.deepEqual(spanish.numbers, [1, 1, 2], "'alias' deep in a sentence is a bank alias, 'y por cierto' opens a topic");
    const french = thread([
      { text: "La veste en lin taille 40, elle est à combien ?" },
      { text: "Parfait, je la prends ! 89 € ça me va" },
      { text: "Point relais : Tabac Le Balto, 12 rue Duguesclin, Lyon" },
    ]);
    assert.deepEqual(french.numbers, [1, 1, 1], "accepting an offer does not close the thread");
    const returning = thread([
      { text: "I was charged twice, can you refund the duplicate?", at: 0 },
      { text: "btw is the Trailhead backpack waterproof?", at: 5 * MIN },
      { text: "and does it ship free over $75?", at: 6 * MIN },
      { text: "just saw the refund come through, thanks Dana!", at: 200 * MIN },
    ]);
    assert.deepEqual(returning.numbers, [1, 2, 2, 1]);
    assert.equal(returning.reasons[3], "topic");
    const days = 24 * 60 * MIN;
    const nameless = thread([
      { text: "Ich habe eine Kaffeemühle bestellt, Bestellnummer DE-778120", at: 0 },
      { text: "Könnten Sie die Lieferadresse noch ändern?", at: 10 * MIN },
      { text: "Und bitte nicht vor dem 13.01. liefern", at: 12 * MIN },
      { text: "Übrigens, was kosten die Filterpapiere Größe 4?", at: 80 * MIN },
      { text: "Dann nehme ich 5 Packungen", at: 85 * MIN },
      { text: "Hallo, laut DHL liegt das Paket seit zwei Tagen im Depot", at: 2 * days },
      { text: "fyi the link in your last message gives a 404", at: 2 * days + MIN },
    ]);
    assert.deepEqual(
      nameless.numbers,
      [1, 1, 1, 2, 2, 1, 3],
      "back after days with no shared word: the chat's main matter, not the latest side question",
    );
    assert.deepEqual(nameless.reasons.slice(5), ["resumed", "new-topic"]);
    const evenly = thread([
      { text: "a minha encomenda PT-1123 ainda não chegou", at: 0 },
      { text: "o código dos CTT diz em trânsito há 5 dias", at: MIN },
      { text: "Já agora, o azeite Quinta do Vale é biológico?", at: 10 * MIN },
      { text: "queria 6 garrafas", at: 12 * MIN },
      { text: "Muito obrigada pela ajuda, Sr. Rui!", at: 80 * MIN },
    ]);
    assert.deepEqual(evenly.numbers, [1, 1, 2, 2, 1], "between equals, the matter the customer came for");
  });

  it("follows quoted replies, also into a closed thread, and closes quiet threads", () => {
    const options = { ...DEFAULT_THREAD_OPTIONS, closeAfterMs: 60 * MIN };
    let state = initialThreadState();
    const at = (id: string, text: string, when: number, quotedId?: string) => {
      const step = assignThread(state, { id, from: "c@c.us", text, at: when, isGroup: false, quotedId }, options);
      state = step.state;
      return step;
    };
    at("a", "where is my parcel?", 0);
    at("b", "btw do you sell gift cards?", MIN);
    assert.equal(at("c", "ok", 2 * MIN, "a").decision.number, 1);
    const quiet = closeQuietThreads(state, 200 * MIN, options);
    assert.deepEqual(quiet.closed.map((c) => c.number).sort(), [1, 2]);
    state = quiet.state;
    const reopened = at("d", "any news?", 201 * MIN, "b");
    assert.deepEqual([reopened.decision.number, reopened.decision.reason], [2, "reopened"]);
  });

  it("in groups keeps each participant in their thread and follows whom a message addresses", () => {
    let state = initialThreadState();
    const say = (from: string, name: string, text: string, minute: number) => {
      const step = assignThread(
        state,
        { id: `${from}-${minute}`, from, name, text, at: minute * MIN, isGroup: true },
        DEFAULT_THREAD_OPTIONS,
      );
      state = step.state;
      return step.decision;
    };
    const ana = say("ana@c.us", "Ana", "we'd like to order lunch for Friday, 18 people", 0);
    const bob = say("bob@c.us", "Bob", "finance says the January invoice was paid twice", 1);
    assert.notEqual(ana.number, bob.number);
    assert.equal(say("ana@c.us", "Ana", "10 chicken rice sets please", 2).number, ana.number);
    const carla = say("carla@c.us", "Carla", "Bob: which invoice number?", 3);
    assert.deepEqual([carla.number, carla.reason], [bob.number, "addressed"]);
    assert.equal(say("bob@c.us", "Bob", "INV-2024-118", 4).number, bob.number);
    assert.equal(say("dan@c.us", "Dan", "@ana is the bento gluten free?", 5).number, ana.number);
  });

  it("in groups keeps asides (forwards, chain letters, scams, laughter) in one thread without moving their writers", () => {
    let state = initialThreadState();
    const say = (from: string, text: string, minute: number) => {
      const step = assignThread(state, { id: `${from}-${minute}`, from, text, at: minute * MIN, isGroup: true }, DEFAULT_THREAD_OPTIONS);
      state = step.state;
      return step.decision;
    };
    const order = say("ana@c.us", "quero 2 kg de tomate e 1 dúzia de ovos", 0);
    const chain = say("ana@c.us", "*Encaminhada* CORRENTE DA SORTE repasse para 10 grupos", 1);
    assert.notEqual(chain.number, order.number);
    assert.equal(chain.reason, "aside");
    assert.equal(say("ana@c.us", "e 1 pote de mel pra mim", 2).number, order.number, "the writer goes back to their order");
    const laugh = say("bia@c.us", "kkkkk verdade", 3);
    assert.equal(laugh.number, chain.number, "laughter joins the asides");
    assert.equal(say("caio@c.us", "pls don't forward scams here 🙄", 4).number, chain.number);
    assert.equal(
      say("caio@c.us", "Jorge, pode deixar o meu na portaria?", 5).reason,
      "newcomer",
      "and a writer whose last word was an aside is still new to the business",
    );
    const members = say("bia@c.us", "alguém vai buscar a vovó no aeroporto sexta?", 6);
    assert.deepEqual([members.number, members.reason], [chain.number, "aside"], "a question to the members about nothing on the table");
    assert.equal(
      say("dani@c.us", "gente, alguém sabe se 2 dúzias de ovos bastam?", 7).reason,
      "topic",
      "a question to the members about the order is business",
    );
  });

  it("takes a busy group's 'anyone…?' for a conversation, not an aside", () => {
    let state = initialThreadState();
    for (let i = 0; i < 8; i += 1)
      state = assignThread(
        state,
        { id: `g${i}`, from: `nick${i}@c.us`, text: `my wifi driver ${i} fails after the upgrade`, at: i * MIN, isGroup: true },
        DEFAULT_THREAD_OPTIONS,
      ).state;
    const step = assignThread(
      state,
      { id: "q", from: "new@c.us", text: "anyone know how to mount a usb disk?", at: 9 * MIN, isGroup: true },
      DEFAULT_THREAD_OPTIONS,
    );
    assert.equal(step.decision.reason, "newcomer");
  });

  it("in a small group joins threads by shared words and sends a returning writer back to their open thread; a busy group does neither", () => {
    const run = (bystanders: number) => {
      let state = initialThreadState();
      const say = (from: string, text: string, minute: number) => {
        const step = assignThread(state, { id: `${from}-${minute}`, from, text, at: minute * MIN, isGroup: true }, DEFAULT_THREAD_OPTIONS);
        state = step.state;
        return step.decision;
      };
      // Others chatting about their own things within the hour make the group busy.
      for (let i = 0; i < bystanders; i += 1) say(`guest${i}@c.us`, `anyone seen the parcel for flat ${i}${i}?`, i % 5);
      const order = say("ana@c.us", "10 chicken rice sets, 5 nasi lemak and 3 vegetarian bento pls", 5);
      const invoice = say("bob@c.us", "finance says the January invoice was paid twice", 6);
      const sambal = say("carla@c.us", "can one of the nasi lemak be no sambal?", 7);
      for (let i = 0; i < bystanders; i += 1) say(`guest${i}@c.us`, `still no parcel for flat ${i}${i}`, 7 * 60 - 10);
      const back = say("bob@c.us", "refund received, thanks", 7 * 60);
      return { order, invoice, sambal, back };
    };
    const small = run(0);
    assert.notEqual(small.invoice.number, small.order.number);
    assert.deepEqual([small.sambal.number, small.sambal.reason], [small.order.number, "topic"]);
    assert.deepEqual(
      [small.back.number, small.back.reason],
      [small.invoice.number, "resumed"],
      "an hour later Bob's invoice thread is still open",
    );
    const busy = run(6);
    assert.deepEqual([busy.sambal.reason, busy.back.reason], ["newcomer", "newcomer"]);
    assert.notEqual(busy.sambal.number, busy.order.number);
    const never = { ...DEFAULT_THREAD_OPTIONS, smallGroupWriters: 0 };
    let state = initialThreadState();
    for (const [i, [from, text]] of [
      ["ana@c.us", "5 nasi lemak pls"],
      ["carla@c.us", "one nasi lemak without sambal"],
    ].entries()) {
      const step = assignThread(state, { id: `n${i}`, from, text, at: i * MIN, isGroup: true }, never);
      state = step.state;
      if (i === 1) assert.equal(step.decision.reason, "newcomer", "0 writers: no group shares topics");
    }
  });

  it("ties messages by shared entities, and stays bounded on hostile text", () => {
    assert.deepEqual(
      entityKeysOf([
        { type: "order_id", value: "BR-1" },
        { type: "money", value: { amount: 64.5, currency: "USD" } },
        { type: "product", value: "tênis" },
        { value: "x" },
      ]),
      ["order_id:BR-1", "money:64.5"],
    );
    const huge = `${"a".repeat(1_000_000)} \ud800 ${"😀".repeat(10_000)}`;
    const started = process.hrtime.bigint();
    const { numbers } = thread([{ text: "" }, { text: huge }, { text: "\u0000\u0001 binary \uffff" }, { text: "😀😀" }]);
    assert.deepEqual(numbers, [1, 1, 1, 1]);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 20_000, "bounded: no catastrophic backtracking");
    // The state stays small however long the chat: message ids and vocabulary are capped.
    const long = thread(Array.from({ length: 1500 }, (_, i) => ({ text: `word${i} other${i % 7} and thing${i}`, at: i * 1000 })));
    assert.ok(long.state.messageThreads.length <= 300);
    assert.ok(Object.keys(long.state.documentFrequency).length <= 2000);
    assert.ok(JSON.stringify(long.state).length < 200_000);
  });
});
