package io.coedge.transport.protocol;

/**
 * Outcome of checking a received frame before anything in it is used. Anything but {@link #OK} means
 * the frame is dropped and counted.
 */
public enum FrameCheck {
    OK,
    /** Shorter than its fixed header, or than the lengths its own header declares. */
    TOO_SHORT,
    /** Longer than its header says (trailing bytes), or a negative or overflowing length field. */
    BAD_LENGTH,
    /** Not a CoEdge frame of this kind. */
    BAD_MAGIC,
    /** A protocol version this build does not speak. */
    BAD_VERSION,
    /** A message type code this build does not know. */
    UNKNOWN_TYPE,
    /** The HMAC does not match: wrong cluster key, or the frame was altered. */
    BAD_MAC,
    /** A replayed or reordered control message (sequence not newer than the last one accepted). */
    STALE,
    /** Header fine, but it names a plan, request, layer or rows the receiver is not expecting. */
    UNEXPECTED,
    /** The body does not parse (a length field inside it runs past the end). */
    BAD_BODY
}
