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
};
