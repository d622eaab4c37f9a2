/**
 * How a receiver departs from the standard, as far as the sender must know: the facts a
 * device profile states about its bootloader, instead of switches inside the sender.
 */
export interface ReceiverDialect {
  /**
   * Whether the receiver sends `C` after ACKing the YMODEM header before it takes block 1.
   * The standard (lrzsz `rb`, Particle devices) does; U-Boot's `loady` does not and waits for
   * block 1, so waiting for that `C` would stall every load for U-Boot's own timeouts.
   */
  requestsAfterHeader?: boolean;
  /**
   * Whether the receiver sends `C` for the next header after ACKing EOT (the standard; U-Boot
   * too). Particle devices send none: the closing block goes at once.
   */
  requestsAfterEot?: boolean;
  /**
   * Every data block at the full block size, the last one padded, instead of ending a 1K
   * transfer with a 128-byte block when the rest fits: ST's SBSFU miscounts mixed sizes.
   */
  fullLastBlock?: boolean;
  /**
   * How many requests (`C` or NAK, each followed by quiet; text may come between them) start
   * the transfer; 1 by default. More for receivers whose banner may end in a lone `C`
   * (snagboot #14, NuttX's sz), which is not a start.
   */
  startRequests?: number;
  /** Send the header when the start timeout passes in silence (receivers that wait for the first packet). */
  silentStart?: boolean;
  /**
   * The receiver NAKs a duplicate (Particle/Spark), so a NAK answering a block re-sent after
   * a lost ACK means the first copy was stored.
   */
  nakOnDuplicate?: boolean;
  /**
   * The receiver answers the first EOT with NAK (the standard, lrzsz `rb`), so some answer to
   * an EOT comes before it asks for a new file with `C`. Device OS and U-Boot ACK it at once.
   */
  naksFirstEot?: boolean;
  /**
   * Whether the receiver's own words (complete lines since the transfer began) say it has the
   * whole file of `bytes` bytes: "Downloaded file successfully!", U-Boot's "## Total Size".
   * When they come but the final ACK does not (lost on the line, or the device reset first to
   * install the image), the transfer is complete: failing it would tell the user a lie.
   */
  confirmsCompletion?: (deviceText: string, bytes: number) => boolean;
  /**
   * Whether the receiver's words show it is no longer receiving (a console's start-up banner or
   * its end-of-load summary): blocks sent now would be typed into the console as commands, so
   * the transfer stops at once.
   */
  showsReceiverEnded?: (deviceText: string) => boolean;
}

/** What a receiver that follows the standard does (lrzsz `rb`). */
export const STANDARD_DIALECT: Required<Pick<ReceiverDialect, 'requestsAfterHeader' | 'requestsAfterEot' | 'silentStart' | 'nakOnDuplicate' | 'naksFirstEot'>> = {
  requestsAfterHeader: true,
  requestsAfterEot: true,
  silentStart: false,
  nakOnDuplicate: false,
  naksFirstEot: true,
};
