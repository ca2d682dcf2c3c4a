// The GPU's errors as the context reports them: asynchronous checks (error scopes, compile info) settle into
// one list, compile errors first (what fails after them is a consequence), and the first is thrown at the next
// synchronous point (flush, sync, read-back). Device loss makes every later call fail.
import { GPUError } from './errors.js';

export class ErrorLog {
  private readonly errors: Error[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Set once the device is lost (unless the context destroyed it). */
  lostMessage: string | null = null;

  constructor(device: GPUDevice, isDestroyed: () => boolean) {
    device.lost.then((info) => {
      if (!isDestroyed()) this.lostMessage = `GPU device lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener('uncapturederror', (event) => {
      this.errors.push(new GPUError(`uncaptured WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`));
    });
  }

  push(error: Error): void {
    this.errors.push(error);
  }

  /** Compile errors go first: whatever fails after them (bind groups, submits) is a consequence. */
  pushCompileError(error: GPUError): void {
    this.errors.unshift(error);
  }

  /** Keeps an error check until it settles. */
  track(check: Promise<void>): void {
    const settled = check.finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** Waits for every check in flight. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  throwPending(): void {
    if (this.lostMessage) throw new GPUError(this.lostMessage);
    const error = this.errors.shift();
    if (error) {
      this.errors.length = 0;
      throw error;
    }
  }
}
