package io.coedge.transport.protocol;

import java.nio.charset.StandardCharsets;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Reads body fields with bounds checks. A read past the end of the body, or a length field that is
 * negative or runs past the end, does not throw: it returns zero/empty and marks the reader invalid.
 * Callers read all fields, then act only if {@link #valid()}.
 */
public final class BodyReader {
    private DirectBuffer buffer;
    private int position;
    private int end;
    private boolean valid;

    /** Reads the body of the checked message whose header is {@code header}. */
    public BodyReader wrap(ControlHeader header, DirectBuffer buffer) {
        return wrap(buffer, header.bodyOffset(), header.bodyLength());
    }

    public BodyReader wrap(DirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.position = offset;
        this.end = offset + length;
        this.valid = length >= 0;
        return this;
    }

    private boolean take(long n) {
        if (!valid || n < 0 || position + n > end) {
            valid = false;
            return false;
        }
        return true;
    }

    public int getInt() {
        if (!take(4)) {
            return 0;
        }
        int v = buffer.getInt(position, ControlHeader.ORDER);
        position += 4;
        return v;
    }

    public long getLong() {
        if (!take(8)) {
            return 0;
        }
        long v = buffer.getLong(position, ControlHeader.ORDER);
        position += 8;
        return v;
    }

    /** A length-prefixed UTF-8 string of at most {@code maxBytes}; longer is invalid. */
    public String getString(int maxBytes) {
        int len = getInt();
        if (len > maxBytes || !take(len)) {
            valid = false;
            return "";
        }
        byte[] b = new byte[len];
        buffer.getBytes(position, b);
        position += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A length-prefixed byte block of at most {@code maxBytes}, copied to a new array. */
    public byte[] getBytes(int maxBytes) {
        int len = getInt();
        if (len > maxBytes || !take(len)) {
            valid = false;
            return new byte[0];
        }
        byte[] b = new byte[len];
        buffer.getBytes(position, b);
        position += len;
        return b;
    }

    /**
     * Skips a length-prefixed block and returns its offset in the buffer (its length is
     * {@link #lastBlockLength()}), so it can be copied straight to its destination; -1 if invalid.
     */
    public int skipBlock() {
        int len = getInt();
        if (!take(len)) {
            lastBlockLength = 0;
            return -1;
        }
        int at = position;
        position += len;
        lastBlockLength = len;
        return at;
    }

    private int lastBlockLength;

    public int lastBlockLength() {
        return lastBlockLength;
    }

    /** Copies a length-prefixed block into {@code dst} at {@code dstOffset} if it fits {@code dstLimit} bytes. */
    public int copyBlock(MutableDirectBuffer dst, int dstOffset, int dstLimit) {
        int at = skipBlock();
        if (at < 0 || lastBlockLength > dstLimit) {
            valid = false;
            return 0;
        }
        dst.putBytes(dstOffset, buffer, at, lastBlockLength);
        return lastBlockLength;
    }

    /** Fixed-size raw bytes. */
    public byte[] getRaw(int n) {
        if (!take(n)) {
            return new byte[n];
        }
        byte[] b = new byte[n];
        buffer.getBytes(position, b);
        position += n;
        return b;
    }

    /** True if every read so far stayed inside the body. */
    public boolean valid() {
        return valid;
    }

    /** True if valid and every byte of the body was consumed (no trailing garbage). */
    public boolean complete() {
        return valid && position == end;
    }
}
