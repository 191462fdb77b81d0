// Forward-pass latency in one Node.js process: our NumPy forward under Pyodide against
// ONNX Runtime Web (wasm backend, one thread) running the identical ONNX graph.
//
//   node bench/forward_node.mjs CONFIG.json
//
// CONFIG: {"scratch": host dir (mounted at /scratch), "inputs": file in scratch holding
// "batch" (B, 28, 28, 1) float32, "models": [{"name", "npz", "onnx"}] (files in scratch),
// "batches": [1, 64], "calls": samples per round, "rounds": rounds, "matmul_calls": n}.
// Before timing, both engines' probabilities on the whole batch are compared. Rounds
// alternate the two engines so that load from other processes hits both alike.
// Prints one JSON object: per model and batch size, seconds per call for each engine.

import { readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-web";
import { REPO_ROOT, startPyodide } from "../tools/pyodide/pyodide_env.mjs";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const SCRATCH = "/scratch";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const pyodide = await startPyodide({
  mounts: [
    [config.scratch, SCRATCH],
    [path.join(REPO_ROOT, "bench"), "/app/bench"],
  ],
});
const kernel = pyodide.pyimport("bench.forward_kernel");
const np = pyodide.pyimport("numpy");
const batchArray = np.load(`${SCRATCH}/${config.inputs}`).get("batch");
const batchShape = batchArray.shape.toJs();

function slice(n) {
  const view = batchArray.__getitem__(pyodide.toPy([...Array(n).keys()]));
  const buffer = view.getBuffer("f32");
  const data = new Float32Array(buffer.data);
  buffer.release();
  return { py: view, js: new ort.Tensor("float32", data, [n, ...batchShape.slice(1)]) };
}

function maxAbsDiff(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function timeOrt(session, feed, calls) {
  for (let i = 0; i < 2; i++) await session.run(feed);
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await session.run(feed);
    samples.push((performance.now() - start) / 1000);
  }
  return samples;
}

const result = {
  runtime: {
    node: process.version,
    pyodide: pyodide.version,
    numpy: np.__version__,
    ort: "onnxruntime-web " + JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", "onnxruntime-web", "package.json"), "utf8")).version + " (wasm, 1 thread)",
  },
  models: {},
};
const sessions = {};
for (const model of config.models) {
  const pyPath = `${SCRATCH}/${model.npz}`;
  sessions[model.name] = await ort.InferenceSession.create(readFileSync(path.join(config.scratch, model.onnx)), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  const full = slice(batchShape[0]);
  const ours = kernel.predict(pyPath, full.py).getBuffer("f32");
  const theirs = (await sessions[model.name].run({ x: full.js })).probs.data;
  result.models[model.name] = {
    parity_max_abs_diff: maxAbsDiff(ours.data, theirs),
    parity_examples: batchShape[0],
    ours: {},
    reference: {},
  };
  ours.release();
}

for (let round = 0; round < config.rounds; round++) {
  for (const model of config.models) {
    const entry = result.models[model.name];
    for (const n of config.batches) {
      const input = slice(n);
      const ours = kernel.time_forward(`${SCRATCH}/${model.npz}`, input.py, config.calls).toJs();
      const theirs = await timeOrt(sessions[model.name], { x: input.js }, config.calls);
      (entry.ours[n] ??= []).push(...ours);
      (entry.reference[n] ??= []).push(...theirs);
    }
  }
}
result.matmul_gflops = Object.fromEntries(
  ["matmul", "einsum"].map((route) => [route, kernel.matmul_gflops(config.matmul_calls, route).toJs()]),
);
result.matmul_side = kernel.MATMUL_SIDE;
process.stdout.write(JSON.stringify(result) + "\n");
