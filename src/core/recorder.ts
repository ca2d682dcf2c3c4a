// Command recording: one open command encoder and compute pass that dispatches and copies go into, submitted
// as one command buffer by flush(); an optional GPU timer that times each pass (or each dispatch alone).
import { GPUError } from './errors.js';
import type { ErrorLog } from './error-log.js';
import type { BufferPool } from './pool.js';
import type { Kernel } from './kernel.js';
import { GpuTimer, type GpuTimerOptions, type GpuTimes } from './gpu-timer.js';
import type { Command } from './capture-trace.js';

/** Commands encoded before an automatic submit (keeps one command buffer from growing without bound). */
const MAX_ENCODED = 20000;

export class CommandRecorder {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline last set in the open pass: setPipeline is skipped when the next dispatch runs the same kernel
   *  (a recurrence dispatches one kernel T times in a row). */
  private passPipeline: GPUComputePipeline | null = null;
  private timer: GpuTimer | null = null;
  private encoded = 0;
  /** GPU objects that encoded commands may still use: destroyed after the next submit. */
  private retired: { destroy(): void }[] = [];
  /** Whether the open command buffer holds commands not yet validated: anything but a replay of a recording,
   *  whose commands were validated when it was recorded. Only those submits pay for a validation error scope. */
  private unchecked = false;
  dispatchCount = 0;
  submitCount = 0;

  constructor(private readonly device: GPUDevice, private readonly pool: BufferPool, private readonly errors: ErrorLog) {}

  dispatch(kernel: Kernel, bindGroup: GPUBindGroup, x: number, y: number, z: number): void {
    const timeAlone = this.timer?.perDispatch ?? false;
    if (timeAlone) this.closePass();
    const pass = this.openPass(timeAlone ? kernel.label : 'pass');
    if (this.passPipeline !== kernel.pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.passPipeline = kernel.pipeline;
    }
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (timeAlone) this.closePass();
    this.dispatchCount++;
    this.unchecked = true;
    if (++this.encoded > MAX_ENCODED) this.flush();
  }

  /** Encodes a captured step's recorded commands again (capture.ts), as dispatch() and copy() would. */
  replay(commands: readonly Command[]): void {
    const unchecked = this.unchecked;
    if (this.timer) {
      // Timed: one command at a time, so the timer sees each pass (or each dispatch).
      for (const c of commands) {
        if (c.kind === 'dispatch') this.dispatch(c.kernel, c.group, c.x, c.y, c.z);
        else this.copy(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      }
      this.unchecked = unchecked;
      return;
    }
    for (const c of commands) {
      if (c.kind === 'dispatch') {
        const pass = this.pass ?? this.openPass('pass');
        if (this.passPipeline !== c.kernel.pipeline) {
          pass.setPipeline(c.kernel.pipeline);
          this.passPipeline = c.kernel.pipeline;
        }
        pass.setBindGroup(0, c.group);
        pass.dispatchWorkgroups(c.x, c.y, c.z);
        this.dispatchCount++;
      } else {
        this.closePass();
        this.openEncoder().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      }
    }
    this.encoded += commands.length;
    if (this.encoded > MAX_ENCODED) this.flush();
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.closePass();
    this.openEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.encoded++;
    this.unchecked = true;
  }

  /** Objects unsubmitted commands may name, destroyed after the next submit. */
  retire(objects: readonly { destroy(): void }[]): void {
    this.retired.push(...objects);
  }

  /** Submits everything encoded so far as one command buffer (pending errors are thrown first). */
  flush(): void {
    this.errors.throwPending();
    this.closePass();
    const encoder = this.encoder;
    if (encoder) {
      this.encoder = null;
      this.encoded = 0;
      if (this.unchecked) {
        this.device.pushErrorScope('validation');
        this.device.queue.submit([encoder.finish()]);
        this.errors.track(
          this.device.popErrorScope().then((error) => {
            if (error) this.errors.push(new GPUError(`WebGPU validation error: ${error.message}`));
          }),
        );
      } else {
        this.device.queue.submit([encoder.finish()]); // replays only: an error would still reach 'uncapturederror'
      }
      this.unchecked = false;
      this.submitCount++;
    }
    // Nothing unsubmitted can read the buffers released before this point any more: recycle them.
    this.pool.onSubmit();
    for (const r of this.retired) r.destroy();
    this.retired = [];
  }

  get timing(): boolean {
    return this.timer !== null;
  }

  startTimer(options: GpuTimerOptions): void {
    this.closePass(); // the open pass began untimed
    this.timer = new GpuTimer(this.device, options);
  }

  /** Stops the timer and submits its resolve commands; the promise reads the times back. */
  stopTimer(read: (buffer: GPUBuffer, bytes: number) => Promise<ArrayBuffer>): Promise<GpuTimes> {
    const timer = this.timer!;
    this.timer = null;
    try {
      this.closePass();
      timer.resolve(this.openEncoder());
      this.unchecked = true;
      this.flush();
    } catch (error) {
      this.retired.push(timer); // the unsubmitted resolve commands still name its buffers
      throw error;
    }
    return timer.read(read);
  }

  /** Drops what is encoded and not submitted (the context is going away). */
  discard(): void {
    this.closePass();
    this.encoder = null;
    this.timer?.destroy();
    this.timer = null;
    for (const r of this.retired) r.destroy();
    this.retired = [];
  }

  /** The open compute pass, or a new one; `label` names what a GPU timer attributes the pass to. */
  private openPass(label: string): GPUComputePassEncoder {
    if (!this.pass) {
      const encoder = this.openEncoder();
      this.pass = encoder.beginComputePass(this.timer ? this.timer.passDescriptor(encoder, label) : { label: 'webrnn' });
    }
    return this.pass;
  }

  private openEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webrnn' });
    return this.encoder;
  }

  private closePass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.passPipeline = null;
    }
  }
}
