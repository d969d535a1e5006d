package io.coedge.transport.protocol;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the header of a control message. All fields little-endian.
 *
 * <pre>
 *  offset  size  field
 *   0      4     magic        'CEC1' (0x31434543)
 *   4      2     version      {@link #VERSION}
 *   6      2     type         {@link MessageType#code()}
 *   8      4     senderId     device index of the sender; -1 for the coordinator
 *  12      4     flags        per type (e.g. last chunk)
 *  16      8     planVersion  plan the message belongs to (0 before any plan)
 *  24      8     requestId    request the message belongs to (0 for none)
 *  32      8     sequence     strictly increasing per sender and session: replay protection
 *  40      4     bodyLength   bytes of body that follow the header
 *  44      4     reserved     zero
 *  48      n     body         bodyLength bytes, layout per type
 *  48+n   32     mac          HMAC-SHA256 with the cluster key over bytes [0, 48+n)
 * </pre>
 *
 * A message is exactly {@code HEADER_LENGTH + bodyLength + MAC_LENGTH} bytes; anything else is
 * dropped (see {@link ControlCodec#check}).
 */
public final class ControlHeader {
    public static final int MAGIC = 0x31434543;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int TYPE_OFFSET = 6;
    public static final int SENDER_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int PLAN_VERSION_OFFSET = 16;
    public static final int REQUEST_ID_OFFSET = 24;
    public static final int SEQUENCE_OFFSET = 32;
    public static final int BODY_LENGTH_OFFSET = 40;
    public static final int RESERVED_OFFSET = 44;
    public static final int HEADER_LENGTH = 48;
    public static final int MAC_LENGTH = 32;
    /** Smallest possible control message: header and MAC, empty body. */
    public static final int MIN_LENGTH = HEADER_LENGTH + MAC_LENGTH;

    /** Flag: this chunk is the last one of its payload. */
    public static final int FLAG_LAST_CHUNK = 1;

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private int offset;

    /** Points this flyweight at a header starting at {@code offset}; no checks (see {@link ControlCodec#check}). */
    public ControlHeader wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int magic() {
        return buffer.getInt(offset + MAGIC_OFFSET, ORDER);
    }

    public int version() {
        return buffer.getShort(offset + VERSION_OFFSET, ORDER) & 0xFFFF;
    }

    public int typeCode() {
        return buffer.getShort(offset + TYPE_OFFSET, ORDER) & 0xFFFF;
    }

    /** The type, or {@code null} when the code is unknown. */
    public MessageType type() {
        return MessageType.ofCode(typeCode());
    }

    public int senderId() {
        return buffer.getInt(offset + SENDER_OFFSET, ORDER);
    }

    public int flags() {
        return buffer.getInt(offset + FLAGS_OFFSET, ORDER);
    }

    public long planVersion() {
        return buffer.getLong(offset + PLAN_VERSION_OFFSET, ORDER);
    }

    public long requestId() {
        return buffer.getLong(offset + REQUEST_ID_OFFSET, ORDER);
    }

    public long sequence() {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    public int bodyLength() {
        return buffer.getInt(offset + BODY_LENGTH_OFFSET, ORDER);
    }

    /** Offset of the body in the wrapped buffer. */
    public int bodyOffset() {
        return offset + HEADER_LENGTH;
    }

    /** Writes a complete header (body length included) at {@code offset} of {@code out}. */
    public static void write(MutableDirectBuffer out, int offset, MessageType type, int senderId, int flags,
            long planVersion, long requestId, long sequence, int bodyLength) {
        out.putInt(offset + MAGIC_OFFSET, MAGIC, ORDER);
        out.putShort(offset + VERSION_OFFSET, (short) VERSION, ORDER);
        out.putShort(offset + TYPE_OFFSET, (short) type.code(), ORDER);
        out.putInt(offset + SENDER_OFFSET, senderId, ORDER);
        out.putInt(offset + FLAGS_OFFSET, flags, ORDER);
        out.putLong(offset + PLAN_VERSION_OFFSET, planVersion, ORDER);
        out.putLong(offset + REQUEST_ID_OFFSET, requestId, ORDER);
        out.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
        out.putInt(offset + BODY_LENGTH_OFFSET, bodyLength, ORDER);
        out.putInt(offset + RESERVED_OFFSET, 0, ORDER);
    }
}
