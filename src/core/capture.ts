// Capture and replay (Context.capture): a whole step (forward, loss, backward, clipping, optimizer) recorded once
// and then encoded again from the recording: the same pipelines, bind groups and workgroup counts, with no tape,
// no allocation and no bind-group creation. A step's inputs are written into its input tensors before each run;
// values that change from step to step live in buffers that hooks registered with Context.eachStep rewrite.
import type { BufferPool } from './pool.js';
import type { BindGroupCache } from './bindings.js';
import type { CommandRecorder } from './recorder.js';
import type { Context } from './context.js';
import { Tensor, type TensorData } from './tensor.js';
import { shapeString } from './shape.js';
import { Trace, firstDifference } from './capture-trace.js';
import { inputCheck, type IdCheck } from './capture-ids.js';

export interface CaptureOptions {
  /**
   * The tensors the step reads its per-step data from (token ids, targets, ...), by name: run() writes into them
   * before the step runs. A carried state the step updates itself (by copying its new state into its input)
   * needs no entry.
   */
  inputs?: Readonly<Record<string, Tensor>>;
}

/** Data for one input of run(): CPU data of the input's dtype and size, or a tensor of its dtype and shape. */
export type InputData = TensorData | Tensor;

/** What the capture needs of its context beyond the public API (Context.captureHost). */
export interface CaptureHost {
  readonly pool: BufferPool;
  readonly bindGroups: BindGroupCache;
  readonly recorder: CommandRecorder;
  /** Makes `trace` the one every dispatch, copy, CPU write and allocation is recorded into (null: none). */
  setTrace(trace: Trace | null): void;
}

/** Runs before the recording agrees with itself: the first may differ (an optimizer creating its state). */
const MAX_RECORDED_RUNS = 3;

/**
 * A captured step. Each run() does one step: the first runs execute `fn` while recording what it encodes; once
 * two consecutive runs encoded the same work, every later run() encodes that recording again instead of calling
 * `fn` (a replay). A replay goes into the context's open command buffer and submits nothing (call ctx.flush()
 * when the step should start; several replays can share one submit), except that a run given CPU data, or of a
 * step with per-step hooks, first submits what is pending: a queue write lands ahead of unsubmitted work.
 */
export class CapturedStep<T> {
  private recording: Trace | null = null;
  private previous: Trace | null = null;
  private result: T | undefined;
  private runs = 0;
  private disposed = false;
  private readonly inputs: [string, Tensor][];
  /** Each int32 input's CPU copy of its ids, reused from run to run (writeInputs). */
  private readonly cpuCopies = new Map<Tensor, Int32Array>();
  /** The ops' id checks of the recording, by the input whose CPU data they checked: run on each replay's data. */
  private idChecks = new Map<string, IdCheck[]>();

  constructor(
    private readonly ctx: Context,
    private readonly host: CaptureHost,
    private readonly fn: () => T,
    options: CaptureOptions = {},
  ) {
    if (typeof fn !== 'function') throw new TypeError('capture: expected a function that encodes one step');
    this.inputs = Object.entries(options.inputs ?? {});
    for (const [name, t] of this.inputs) {
      if (!(t instanceof Tensor)) throw new TypeError(`capture: input '${name}' is not a tensor`);
      if (t.isDisposed) throw new Error(`capture: input '${name}' was disposed`);
      if (t.ctx !== ctx) throw new Error(`capture: input '${name}' belongs to another context`);
    }
  }

  /** True once run() replays the recording instead of calling the function. */
  get isCaptured(): boolean {
    return this.recording !== null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Dispatches one replay encodes (the same as one run of the function); null before the step is captured. */
  get dispatchCount(): number | null {
    return this.recording?.dispatches ?? null;
  }

  /**
   * One step: writes `inputs` (by the names given to capture) into the input tensors, then runs the function
   * (while recording) or replays it. Returns the function's result: once captured, always the same tensors,
   * whose contents each replay updates. Inputs left out keep their contents.
   */
  run(inputs: Readonly<Record<string, InputData>> = {}): T {
    if (this.disposed) throw new Error('capture: run() after dispose()');
    this.ctx.assertUsable();
    const writes = this.checkInputs(inputs);
    const recording = this.recording;
    // CPU writes (inputs, the hooks' per-step values) land ahead of everything not yet submitted: submit that first.
    if (writes.cpu || recording?.hooks.length) this.ctx.flush();
    this.writeInputs(writes.list);
    let result: T;
    if (recording) {
      for (const hook of recording.hooks) hook();
      this.host.recorder.replay(recording.commands);
      result = this.result as T;
    } else {
      result = this.record();
    }
    return result;
  }

  /** Frees what the step holds: its buffers go back to the pool, and the tensors its function returned. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.previous?.release();
    this.recording?.release();
    this.previous = this.recording = null;
    disposeTensors(this.result);
    this.result = undefined;
    this.cpuCopies.clear();
  }

  private record(): T {
    const trace = new Trace(this.host.pool, this.host.bindGroups);
    this.runs++;
    let result: T;
    this.host.setTrace(trace);
    try {
      result = this.fn();
      if (result instanceof Promise || typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('capture: the step function returned a promise; it must encode its work synchronously (no await)');
      }
    } catch (error) {
      this.host.setTrace(null);
      trace.release();
      this.dispose();
      throw error;
    } finally {
      this.host.setTrace(null);
    }
    // The previous run's results are superseded by this run's (the caller has had them).
    if (this.result !== result) disposeTensors(this.result);
    this.result = result;
    const previous = this.previous;
    if (previous && firstDifference(previous, trace) === null) {
      previous.release();
      this.previous = null;
      this.recording = trace;
      this.idChecks = this.inputChecks(trace);
    } else if (previous && this.runs >= MAX_RECORDED_RUNS) {
      const diff = firstDifference(previous, trace)!;
      trace.release();
      this.dispose();
      throw new Error(
        `capture: runs ${this.runs - 1} and ${this.runs} of the step encoded different work, so there is no one step to ` +
          `replay. First difference, ${diff}\nA captured step must encode the same kernels, sizes, params and ` +
          'allocations every time: values that change from step to step belong in a capture input or a buffer ' +
          'written by ctx.eachStep() (as the optimizers keep their learning rate and bias corrections)',
      );
    } else {
      previous?.release();
      this.previous = trace;
    }
    return result;
  }

  /** The recording's id checks that checked an input's CPU data (or a reordering of it), by input name. */
  private inputChecks(trace: Trace): Map<string, IdCheck[]> {
    const byData = new Map<Int32Array, string>();
    for (const [name, t] of this.inputs) if (t.cpuData) byData.set(t.cpuData, name);
    const checks = new Map<string, IdCheck[]>();
    for (const { ids, check } of trace.idChecks) {
      const found = inputCheck(ids, check, byData);
      if (!found) continue;
      const list = checks.get(found.input);
      if (list) list.push(found.check);
      else checks.set(found.input, [found.check]);
    }
    return checks;
  }

  /** Validates every input before anything is written (a bad call changes nothing); once captured, also the
   *  ids the recorded ops checked (their RangeError, as the step run uncaptured would throw). */
  private checkInputs(given: Readonly<Record<string, InputData>>): { list: [Tensor, InputData][]; cpu: boolean } {
    if (given === null || typeof given !== 'object') throw new TypeError('capture: run() takes an object of inputs by name');
    const list: [Tensor, InputData][] = [];
    let cpu = false;
    for (const name of Object.keys(given)) {
      const target = this.inputs.find(([n]) => n === name)?.[1];
      if (!target) {
        const known = this.inputs.map(([n]) => n).join(', ') || 'none';
        throw new Error(`capture: '${name}' is not an input of this step (its inputs: ${known})`);
      }
      const data = given[name];
      if (data instanceof Tensor) {
        if (data.isDisposed) throw new Error(`capture: input '${name}' was given a disposed tensor`);
        if (data.ctx !== this.ctx) throw new Error(`capture: input '${name}' was given a tensor of another context`);
        if (data.dtype !== target.dtype || shapeString(data.shape) !== shapeString(target.shape)) {
          throw new RangeError(
            `capture: input '${name}' is ${target.dtype} ${shapeString(target.shape)}, got a tensor ${data.dtype} ${shapeString(data.shape)}`,
          );
        }
      } else {
        const wantInt = target.dtype === 'int32';
        const ok = wantInt ? data instanceof Int32Array : data instanceof Float32Array || Array.isArray(data);
        if (!ok) {
          throw new TypeError(
            `capture: input '${name}' is ${target.dtype}: give it ${wantInt ? 'an Int32Array' : 'a Float32Array or an array of numbers'}` +
              ` or a tensor, got ${describe(data)}`,
          );
        }
        if (data.length !== target.numel) {
          throw new RangeError(`capture: input '${name}' is ${shapeString(target.shape)} (${target.numel} elements), got ${data.length}`);
        }
        cpu = true;
      }
      const checks = this.recording ? this.idChecks.get(name) : undefined;
      const ids = data instanceof Tensor ? data.cpuData : data;
      if (checks && ids instanceof Int32Array) for (const check of checks) check(ids);
      list.push([target, data]);
    }
    return { list, cpu };
  }

  private cpuCopy(target: Tensor, ids: Int32Array): Int32Array {
    let copy = this.cpuCopies.get(target);
    if (!copy) this.cpuCopies.set(target, (copy = new Int32Array(target.numel)));
    copy.set(ids);
    return copy;
  }

  private writeInputs(list: [Tensor, InputData][]): void {
    for (const [target, data] of list) {
      if (data instanceof Tensor) {
        this.ctx.copyBuffer(data.buffer, 0, target.buffer, 0, target.numel * 4);
        target.cpuData = data.cpuData;
      } else {
        const typed = data instanceof Int32Array || data instanceof Float32Array ? data : Float32Array.from(data);
        this.ctx.writeBuffer(target.buffer, 0, typed, true); // fresh: run() submitted everything pending
        // Int32 ids keep their CPU copy, so the ops' range checks see them while the step is recorded: the step's
        // own array, allocated once, so a replay allocates nothing.
        if (typed instanceof Int32Array) target.cpuData = this.cpuCopy(target, typed);
      }
    }
  }
}

function describe(data: unknown): string {
  if (data === null || typeof data !== 'object') return String(data);
  return (data as object).constructor?.name ?? 'an object';
}

/** Disposes the tensors in a step function's result (a tensor, or arrays and plain objects of them). */
function disposeTensors(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeTensors);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach(disposeTensors);
  }
}
