/**
 * How long to wait for a data block's answer before sending it again, learnt from the answers
 * of earlier blocks (as TCP learns its retransmission timeout, RFC 6298): a smoothed answer
 * time and its variation, from blocks answered on their first copy only (an answer to a block
 * sent twice may belong to either copy). A lost ACK then costs about one and a half seconds
 * (this wait, then the quiet wait for the copy's owed answer, below) instead of the receiver's
 * own timeout (10 s for lrzsz rb, 5 s for Device OS), and the copy sent early reaches the
 * receiver long before that timeout, so both sides never time out together.
 *
 * Never shorter than MIN_DEADLINE_MS (a receiver whose answers take 300 ms is never sent
 * copies it does not need; a copy sent early costs time, never correctness: duplicates are
 * answered, and the owed-answer wait keeps answers from being read one block late), never
 * longer than the configured timeout (--timeout), doubled at each attempt of the same block,
 * and the configured timeout itself until the first answer has been seen (the first data
 * block waits as long as before).
 */

/** The shortest wait for an answer, whatever the line showed: jitter, a flash write that takes a moment longer. */
export const MIN_DEADLINE_MS = 500;
/**
 * The shortest quiet wait for an owed answer. Longer than MIN_DEADLINE_MS: an answer that comes
 * after it is read as the next block's, so it must outlast a receiver stalled with the rest of a
 * loaded machine (250 ms did not; a second has, in every loaded run since).
 */
export const MIN_OWED_QUIET_MS = 1_000;
/** Answers seen before the learnt deadline replaces the configured timeout. */
const SAMPLES_BEFORE_LEARNT = 1;
/** How long a receiver may take to answer a copy of a block it has, once the copy arrived (no write: it answers at once). */
const DUPLICATE_ANSWER_MS = 250;

export class AnswerDeadline {
  private smoothedMs = 0;
  private variationMs = 0;
  private samples = 0;

  /** The time a block sent once took to be answered (from the end of its write). */
  observe(answerMs: number): void {
    if (this.samples === 0) {
      this.smoothedMs = answerMs;
      this.variationMs = answerMs / 2;
    } else {
      this.variationMs = 0.75 * this.variationMs + 0.25 * Math.abs(this.smoothedMs - answerMs);
      this.smoothedMs = 0.875 * this.smoothedMs + 0.125 * answerMs;
    }
    this.samples++;
  }

  /** How long to wait for the answer to a block's `attempt`-th copy (0 for the first), at most `limitMs`. */
  forAttempt(attempt: number, limitMs: number): number {
    if (this.samples < SAMPLES_BEFORE_LEARNT) return limitMs;
    return Math.min(limitMs, Math.max(MIN_DEADLINE_MS, this.learntMs()) * 2 ** attempt);
  }

  /**
   * How long to wait, after a block sent more than once was answered, for the answers to its
   * other copies: the receiver answers each copy, and the one sent last may still have been
   * crossing the line (`transitMs`) when the first answer left. `owed`: a copy went unanswered
   * (sent again after a timeout), so its answer may still come, late: the line must then stay
   * quiet as long as an answer is waited for before a copy is sent (the learnt deadline), and a
   * second at least (MIN_OWED_QUIET_MS). A shorter window was beaten by a receiver slowed down
   * with the rest of a loaded machine: its answer came after the window and was taken for the
   * next block's, and that block's NAK for the first EOT's (a false success, once in a loaded suite).
   */
  otherAnswersMs(transitMs: number, owed: boolean, limitMs: number): number {
    // The answer times seen include the line's transit; before any, the line rate is all there is (on USB it overstates).
    const usual = this.samples > 0 ? Math.max(DUPLICATE_ANSWER_MS, 2 * this.smoothedMs) : DUPLICATE_ANSWER_MS + transitMs;
    if (!owed) return usual;
    // Never longer than a copy's own wait (--timeout): the receiver's timeout is set against that.
    const learnt = this.samples > 0 ? this.learntMs() : 0;
    return Math.max(usual, Math.min(limitMs, Math.max(MIN_OWED_QUIET_MS, learnt)));
  }

  /** How long an answer may take, from those seen: twice the usual time and four times its variation. */
  private learntMs(): number {
    return 2 * this.smoothedMs + 4 * this.variationMs;
  }
}
