import type { Context, Log, WR } from '../harness.js';
import type { Tensor } from '../../src/index.js';
export async function run(wr: WR, ctx: Context, log: Log): Promise<void> {
  const V = 128, H = 32, B = 8, T = 35;
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
  const targets = Int32Array.from(ids, (v) => (v + 1) % V);
  const layer = new wr.nn.LSTM(ctx, { inputSize: V, hiddenSize: H, seed: 1 });
  const dense = new wr.nn.Linear(ctx, { inFeatures: H, outFeatures: V, seed: 2 });
  const params = [...layer.parameters(), ...dense.parameters()];
  const opt = new wr.optim.SGD(params, { lr: 0.1 });
  const x = ctx.tensor(ids, [T, B], 'int32');
  const y = ctx.tensor(targets, [T * B], 'int32');
  const stepFn = (): Tensor => {
    const [out, state] = layer.forward(x) as [Tensor, [Tensor, Tensor]];
    const flat = out.reshape([T * B, H]);
    const logits = dense.forward(flat);
    const loss = wr.nn.functional.crossEntropy(logits, y);
    opt.zeroGrad();
    loss.backward();
    const norm = wr.nn.utils.clipGradNorm(params, 0.01);
    opt.step();
    for (const t of [out, flat, logits, norm, ...state]) t.dispose();
    return loss;
  };
  const q = ctx.device.queue;
  const submit = q.submit.bind(q);
  let submitMs = 0;
  (q as { submit: GPUQueue['submit'] }).submit = (bufs) => { const t = performance.now(); submit(bufs); submitMs += performance.now() - t; };
  const step = ctx.capture(stepFn, { inputs: { x, y } });
  const acc = new Map<string, number>();
  const wrap = (obj: object, name: string, tag: string) => {
    const o = obj as Record<string, (...a: unknown[]) => unknown>;
    const f = o[name];
    o[name] = function (this: unknown, ...a: unknown[]) { const t = performance.now(); const r = f.apply(this, a); acc.set(tag, (acc.get(tag) ?? 0) + performance.now() - t); return r; };
  };
  const enc0 = ctx.device.createCommandEncoder();
  const encProto = Object.getPrototypeOf(enc0);
  const pass0 = enc0.beginComputePass();
  const passProto = Object.getPrototypeOf(pass0);
  pass0.end(); enc0.finish();
  const queueObj = ctx.device.queue;
  const devObj = ctx.device;
  const instrument = () => {
    wrap(queueObj, 'writeBuffer', 'writeBuffer'); wrap(devObj, 'pushErrorScope', 'pushErrorScope'); wrap(devObj, 'popErrorScope', 'popErrorScope');
    wrap(devObj, 'createCommandEncoder', 'createCommandEncoder'); wrap(encProto, 'finish', 'finish'); wrap(encProto, 'beginComputePass', 'beginComputePass');
    wrap(encProto, 'copyBufferToBuffer', 'copy'); wrap(passProto, 'end', 'passEnd'); wrap(passProto, 'setBindGroup', 'setBindGroup'); wrap(passProto, 'dispatchWorkgroups', 'dispatch'); wrap(passProto, 'setPipeline', 'setPipeline');
  };
  let instrumented = false;
  for (const mode of ['uncaptured', 'captured', 'captured', 'instrument', 'captured']) {
    if (mode === 'instrument') { instrument(); instrumented = true; acc.clear(); continue; }
    const tot: number[] = [], sub: number[] = [];
    for (let i = 0; i < 40; i++) {
      await ctx.sync();
      submitMs = 0;
      const t0 = performance.now();
      if (mode === 'captured') { step.run({ x: ids, y: targets }); ctx.flush(); }
      else if (mode === 'captured-noinput') { step.run(); ctx.flush(); }
      else if (mode === 'captured-noflush') { step.run(); tot.push(performance.now() - t0); ctx.flush(); continue; }
      else { ctx.writeBuffer(x.buffer, 0, ids, true); ctx.writeBuffer(y.buffer, 0, targets, true); stepFn().dispose(); }
      tot.push(performance.now() - t0); sub.push(submitMs);
    }
    const s = [...tot].sort((a, b) => a - b);
    if (instrumented) log([...acc].map(([k, v]) => `${k} ${(v / 40).toFixed(3)}`).join(', '));
    log(`${mode}: min ${s[0].toFixed(3)} p10 ${s[4].toFixed(3)} p50 ${s[20].toFixed(3)}; submit min ${Math.min(...sub).toFixed(3)}`);
  }
  // Raw Dawn: 113 setBindGroup + dispatch in one pass, no submit.
  const rec = (step as unknown as { recording: { commands: { kind: string; kernel: { pipeline: GPUComputePipeline }; group: GPUBindGroup; x: number; y: number; z: number }[] } }).recording;
  const cmds = rec.commands.filter((c) => c.kind === 'dispatch');
  const raw: number[] = [];
  for (let i = 0; i < 40; i++) {
    await ctx.sync();
    const t0 = performance.now();
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    let last: GPUComputePipeline | null = null;
    for (const c of cmds) { if (c.kernel.pipeline !== last) { pass.setPipeline(c.kernel.pipeline); last = c.kernel.pipeline; } pass.setBindGroup(0, c.group); pass.dispatchWorkgroups(c.x, c.y, c.z); }
    pass.end();
    const cb = enc.finish();
    raw.push(performance.now() - t0);
    void cb;
  }
  raw.sort((a, b) => a - b);
  log(`raw dawn encode of ${cmds.length} dispatches (no submit): min ${raw[0].toFixed(3)} p10 ${raw[4].toFixed(3)} p50 ${raw[20].toFixed(3)}`);
}
