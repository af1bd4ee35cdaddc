/** A delivery attempt that did not succeed: retried with backoff, unless `permanent` (a retry cannot help). */
export class DeliveryFailure extends Error {
  override name = "DeliveryFailure";
  readonly permanent: boolean;
  constructor(message: string, options: { permanent?: boolean } = {}) {
    super(message);
    this.permanent = options.permanent ?? false;
  }
}
