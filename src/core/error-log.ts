// The GPU's errors as the context reports them: asynchronous checks (error scopes, compile info) settle into
// one list, compile errors first (what fails after them is a consequence), and the first is thrown at the next
// synchronous point (flush, sync, read-back). Device loss makes every later call fail.
import { GPUError } from './errors.js';

export class ErrorLog {
  private readonly errors: Error[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Set once the device is lost (unless the context destroyed it). */
  lostMessage: string | null = null;
  /** Settles with the loss's message once the device is lost (null when the context destroyed it). */
  private readonly lost: Promise<string | null>;

  constructor(device: GPUDevice, isDestroyed: () => boolean) {
    this.lost = device.lost.then((info) => {
      if (isDestroyed()) return null;
      this.lostMessage = `GPU device lost (${info.reason}): ${info.message}`;
      return this.lostMessage;
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

  /**
   * The error for a GPU call that failed with `error` (a read-back's mapAsync rejects with a bare DOMException
   * when the device goes): a GPUError naming the device loss if the device is lost or goes within `graceMs`
   * (its lost promise settles just after such a rejection), else one naming `what` and the error.
   */
  async explain(error: unknown, what: string, graceMs = 500): Promise<GPUError> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lost = this.lostMessage ?? await Promise.race([
      this.lost,
      new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), graceMs); }),
    ]);
    clearTimeout(timer);
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new GPUError(lost ? `${what} failed: ${lost}` : `${what} failed (${detail})`, { cause: error });
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
