package io.coedge.transport.protocol;

import java.nio.charset.StandardCharsets;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Appends body fields of a control message (little-endian; strings and byte blocks as an int32 length
 * then the bytes). Starts at {@code offset + HEADER_LENGTH} so the header can be sealed in place after.
 */
public final class BodyWriter {
    private MutableDirectBuffer buffer;
    private int start;
    private int position;

    /** Begins a body for a message whose header starts at {@code messageOffset}. */
    public BodyWriter wrap(MutableDirectBuffer buffer, int messageOffset) {
        this.buffer = buffer;
        this.start = messageOffset + ControlHeader.HEADER_LENGTH;
        this.position = start;
        return this;
    }

    private void ensure(int n) {
        if ((long) position + n + ControlHeader.MAC_LENGTH > buffer.capacity()) {
            throw new IllegalArgumentException("control message body does not fit its buffer of " + buffer.capacity()
                    + " bytes; raise coedge.transport.control.maxMessageBytes");
        }
    }

    public BodyWriter putInt(int v) {
        ensure(4);
        buffer.putInt(position, v, ControlHeader.ORDER);
        position += 4;
        return this;
    }

    public BodyWriter putLong(long v) {
        ensure(8);
        buffer.putLong(position, v, ControlHeader.ORDER);
        position += 8;
        return this;
    }

    public BodyWriter putString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return putBytes(b, 0, b.length);
    }

    public BodyWriter putBytes(byte[] b, int off, int len) {
        ensure(4 + len);
        buffer.putInt(position, len, ControlHeader.ORDER);
        buffer.putBytes(position + 4, b, off, len);
        position += 4 + len;
        return this;
    }

    /** A block copied from another buffer (e.g. a tensor band) without an intermediate array. */
    public BodyWriter putBytes(DirectBuffer src, int off, int len) {
        ensure(4 + len);
        buffer.putInt(position, len, ControlHeader.ORDER);
        buffer.putBytes(position + 4, src, off, len);
        position += 4 + len;
        return this;
    }

    /** Fixed-size raw bytes (no length prefix), e.g. a 32-byte hash. */
    public BodyWriter putRaw(byte[] b) {
        ensure(b.length);
        buffer.putBytes(position, b);
        position += b.length;
        return this;
    }

    /** Bytes written so far: the body length to seal with. */
    public int length() {
        return position - start;
    }
}
