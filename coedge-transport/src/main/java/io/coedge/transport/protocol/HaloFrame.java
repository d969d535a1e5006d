package io.coedge.transport.protocol;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a halo frame: a chunk of boundary rows of one layer's feature map, sent from the NHWC
 * rows of the sender and copied by the receiver straight into its halo rows. All fields little-endian.
 *
 * <pre>
 *  offset  size  field
 *   0      4     magic        'CEH1' (0x31484543)
 *   4      2     version      {@link #VERSION}
 *   6      2     reserved     zero
 *   8      4     senderId     device index of the sender
 *  12      4     layerIndex   which halo: the transfer id of the plan's geometry (the runtime), or a layer index
 *  16      8     planVersion
 *  24      8     requestId
 *  32      4     rowOffset    first row of the halo in full-map coordinates
 *  36      4     rowCount     rows in the whole halo
 *  40      8     totalBytes   bytes of the whole halo (rowCount * W * C * 4)
 *  48      8     byteOffset   where this chunk starts within the halo
 *  56      4     chunkLength  payload bytes in this frame
 *  60      4     reserved     zero
 *  64      n     payload      chunkLength bytes of NHWC rows
 * </pre>
 *
 * Halo frames carry no MAC: they flow only between workers that received an authenticated PLAN for the
 * same plan version, and a receiver accepts a frame only for a (plan, request, layer, rows) it is
 * expecting, with exact sizes (see {@link #check}). Anything else is dropped and counted.
 */
public final class HaloFrame {
    public static final int MAGIC = 0x31484543;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SENDER_OFFSET = 8;
    public static final int LAYER_OFFSET = 12;
    public static final int PLAN_VERSION_OFFSET = 16;
    public static final int REQUEST_ID_OFFSET = 24;
    public static final int ROW_OFFSET_OFFSET = 32;
    public static final int ROW_COUNT_OFFSET = 36;
    public static final int TOTAL_BYTES_OFFSET = 40;
    public static final int BYTE_OFFSET_OFFSET = 48;
    public static final int CHUNK_LENGTH_OFFSET = 56;
    public static final int HEADER_LENGTH = 64;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private int offset;

    public HaloFrame wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * Checks the frame's own consistency (lengths, magic, version, chunk within the halo). Whether the
     * receiver expects it is the receiver's check.
     */
    public FrameCheck check(int length) {
        if (length < HEADER_LENGTH) {
            return FrameCheck.TOO_SHORT;
        }
        if (buffer.getInt(offset + MAGIC_OFFSET, ORDER) != MAGIC) {
            return FrameCheck.BAD_MAGIC;
        }
        if ((buffer.getShort(offset + VERSION_OFFSET, ORDER) & 0xFFFF) != VERSION) {
            return FrameCheck.BAD_VERSION;
        }
        int chunk = chunkLength();
        long total = totalBytes();
        long at = byteOffset();
        if (chunk < 0 || total < 0 || at < 0 || rowCount() <= 0 || rowOffset() < 0) {
            return FrameCheck.BAD_LENGTH;
        }
        if ((long) HEADER_LENGTH + chunk > length) {
            return FrameCheck.TOO_SHORT;
        }
        if ((long) HEADER_LENGTH + chunk < length || at > total - chunk) {
            return FrameCheck.BAD_LENGTH;
        }
        return FrameCheck.OK;
    }

    public int senderId() {
        return buffer.getInt(offset + SENDER_OFFSET, ORDER);
    }

    public int layerIndex() {
        return buffer.getInt(offset + LAYER_OFFSET, ORDER);
    }

    public long planVersion() {
        return buffer.getLong(offset + PLAN_VERSION_OFFSET, ORDER);
    }

    public long requestId() {
        return buffer.getLong(offset + REQUEST_ID_OFFSET, ORDER);
    }

    public int rowOffset() {
        return buffer.getInt(offset + ROW_OFFSET_OFFSET, ORDER);
    }

    public int rowCount() {
        return buffer.getInt(offset + ROW_COUNT_OFFSET, ORDER);
    }

    public long totalBytes() {
        return buffer.getLong(offset + TOTAL_BYTES_OFFSET, ORDER);
    }

    public long byteOffset() {
        return buffer.getLong(offset + BYTE_OFFSET_OFFSET, ORDER);
    }

    public int chunkLength() {
        return buffer.getInt(offset + CHUNK_LENGTH_OFFSET, ORDER);
    }

    /** Offset of the payload in the wrapped buffer. */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** Writes a complete header at {@code offset} of {@code out}. */
    public static void writeHeader(MutableDirectBuffer out, int offset, int senderId, int layerIndex,
            long planVersion, long requestId, int rowOffset, int rowCount, long totalBytes, long byteOffset,
            int chunkLength) {
        out.putInt(offset + MAGIC_OFFSET, MAGIC, ORDER);
        out.putShort(offset + VERSION_OFFSET, (short) VERSION, ORDER);
        out.putShort(offset + VERSION_OFFSET + 2, (short) 0, ORDER);
        out.putInt(offset + SENDER_OFFSET, senderId, ORDER);
        out.putInt(offset + LAYER_OFFSET, layerIndex, ORDER);
        out.putLong(offset + PLAN_VERSION_OFFSET, planVersion, ORDER);
        out.putLong(offset + REQUEST_ID_OFFSET, requestId, ORDER);
        out.putInt(offset + ROW_OFFSET_OFFSET, rowOffset, ORDER);
        out.putInt(offset + ROW_COUNT_OFFSET, rowCount, ORDER);
        out.putLong(offset + TOTAL_BYTES_OFFSET, totalBytes, ORDER);
        out.putLong(offset + BYTE_OFFSET_OFFSET, byteOffset, ORDER);
        out.putInt(offset + CHUNK_LENGTH_OFFSET, chunkLength, ORDER);
        out.putInt(offset + CHUNK_LENGTH_OFFSET + 4, 0, ORDER);
    }
}
