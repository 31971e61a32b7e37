// Bench-only node types, loaded through the runtime's nodesDir setting. They let the bench
// script drive a flow from inside the process: a source it controls, a trivial pass-through
// node, and a sink that times every message.
module.exports = function (RED) {
  const registry = (globalThis.__waBench = globalThis.__waBench || { sources: new Map(), sinks: new Map() });

  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    registry.sources.set(config.name, { emit: (msg) => node.send(msg) });
    node.on("close", () => registry.sources.delete(config.name));
  }
  RED.nodes.registerType("bench-source", BenchSource);

  function BenchPass(config) {
    RED.nodes.createNode(this, config);
    this.on("input", (msg, send, done) => {
      send(msg);
      done();
    });
  }
  RED.nodes.registerType("bench-pass", BenchPass);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on("input", (msg, _send, done) => {
      const sink = registry.sinks.get(config.name);
      if (sink) sink(msg);
      done();
    });
  }
  RED.nodes.registerType("bench-sink", BenchSink);

  // The peer for intent: nlp.js (its neural classifier, English pipeline), trained on the same
  // "intent: example" lines as the wa-intent node it is set beside; msg.intent as nlp.js answers.
  function BenchNlpjs(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const ready = (async () => {
      const { containerBootstrap } = require("@nlpjs/core");
      const { Nlp } = require("@nlpjs/nlp");
      const { LangEn } = require("@nlpjs/lang-en-min");
      const container = await containerBootstrap();
      container.use(Nlp);
      container.use(LangEn);
      // nlp.js logs every training epoch unless its NLU configuration says otherwise.
      container.registerConfiguration(
        "nlu-??",
        {
          keepStopwords: true,
          nonefeatureValue: 1,
          nonedeltaMultiplier: 1.2,
          spellCheck: false,
          spellCheckDistance: 1,
          filterZeros: true,
          log: false,
        },
        true,
      );
      const nlp = container.get("nlp");
      nlp.settings.autoSave = false;
      nlp.settings.autoLoad = false;
      nlp.addLanguage("en");
      for (const line of String(config.examples || "").split("\n")) {
        const colon = line.indexOf(":");
        if (line.trim() === "" || line.trim().startsWith("#") || colon < 1) continue;
        nlp.addDocument("en", line.slice(colon + 1).trim(), line.slice(0, colon).trim());
      }
      await nlp.train();
      return nlp;
    })();
    ready.catch((error) => node.error(`nlp.js did not train: ${error.message}`));
    this.on("input", (msg, send, done) => {
      ready
        .then((nlp) => nlp.process("en", String(msg.payload)))
        .then((result) => {
          msg.intent = { name: result.intent, score: result.score };
          send(msg);
          done();
        })
        .catch(done);
    });
  }
  RED.nodes.registerType("bench-nlpjs", BenchNlpjs);
};
