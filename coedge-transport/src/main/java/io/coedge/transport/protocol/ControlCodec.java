package io.coedge.transport.protocol;

import static io.coedge.transport.protocol.ControlHeader.BODY_LENGTH_OFFSET;
import static io.coedge.transport.protocol.ControlHeader.HEADER_LENGTH;
import static io.coedge.transport.protocol.ControlHeader.MAC_LENGTH;
import static io.coedge.transport.protocol.ControlHeader.MIN_LENGTH;
import static io.coedge.transport.protocol.ControlHeader.ORDER;

import java.security.MessageDigest;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Signs and checks control messages (layout in {@link ControlHeader}). One instance per thread: it holds
 * an {@link HmacSha256} and scratch space, so it allocates nothing per message once warmed up.
 *
 * <p>Checking order matters: lengths first (a frame too short for its own length fields is never read
 * further), then magic, version and type, then the MAC over the exact byte range. Only a frame that
 * passes all of them is parsed.
 */
public final class ControlCodec {
    private final HmacSha256 mac;
    private final byte[] expected = new byte[MAC_LENGTH];
    private final byte[] actual = new byte[MAC_LENGTH];
    private byte[] scratch = new byte[4096];

    public ControlCodec(ClusterKey key) {
        this.mac = key.newHmac();
    }

    /**
     * Writes the header for a body already at {@code offset + HEADER_LENGTH} of {@code out}, then the MAC
     * after the body. Returns the total message length to publish.
     */
    public int seal(MutableDirectBuffer out, int offset, MessageType type, int senderId, int flags,
            long planVersion, long requestId, long sequence, int bodyLength) {
        if (bodyLength < 0) {
            throw new IllegalArgumentException("negative body length " + bodyLength);
        }
        int total = HEADER_LENGTH + bodyLength + MAC_LENGTH;
        if (out.capacity() - offset < total) {
            throw new IllegalArgumentException("control message of " + total + " bytes does not fit a buffer of "
                    + (out.capacity() - offset));
        }
        ControlHeader.write(out, offset, type, senderId, flags, planVersion, requestId, sequence, bodyLength);
        computeMac(out, offset, HEADER_LENGTH + bodyLength, expected);
        out.putBytes(offset + HEADER_LENGTH + bodyLength, expected);
        return total;
    }

    /**
     * Checks a received message of exactly {@code length} bytes. Nothing of the frame may be used unless
     * this returns {@link FrameCheck#OK}.
     */
    public FrameCheck check(DirectBuffer in, int offset, int length) {
        if (length < MIN_LENGTH) {
            return FrameCheck.TOO_SHORT;
        }
        if (in.getInt(offset + ControlHeader.MAGIC_OFFSET, ORDER) != ControlHeader.MAGIC) {
            return FrameCheck.BAD_MAGIC;
        }
        if ((in.getShort(offset + ControlHeader.VERSION_OFFSET, ORDER) & 0xFFFF) != ControlHeader.VERSION) {
            return FrameCheck.BAD_VERSION;
        }
        int bodyLength = in.getInt(offset + BODY_LENGTH_OFFSET, ORDER);
        if (bodyLength < 0) {
            return FrameCheck.BAD_LENGTH;
        }
        long declared = (long) HEADER_LENGTH + bodyLength + MAC_LENGTH;
        if (declared > length) {
            return FrameCheck.TOO_SHORT;
        }
        if (declared < length) {
            return FrameCheck.BAD_LENGTH;
        }
        // MAC before type: an unauthenticated peer learns nothing about which types exist.
        computeMac(in, offset, HEADER_LENGTH + bodyLength, expected);
        in.getBytes(offset + HEADER_LENGTH + bodyLength, actual);
        if (!MessageDigest.isEqual(expected, actual)) {
            return FrameCheck.BAD_MAC;
        }
        if (MessageType.ofCode(in.getShort(offset + ControlHeader.TYPE_OFFSET, ORDER) & 0xFFFF) == null) {
            return FrameCheck.UNKNOWN_TYPE;
        }
        return FrameCheck.OK;
    }

    private void computeMac(DirectBuffer buf, int offset, int length, byte[] into) {
        if (scratch.length < Math.min(length, 1 << 16)) {
            scratch = new byte[Math.min(Integer.highestOneBit(Math.max(length, 1)) << 1, 1 << 16)];
        }
        mac.reset();
        for (int done = 0; done < length; ) {
            int n = Math.min(scratch.length, length - done);
            buf.getBytes(offset + done, scratch, 0, n);
            mac.update(scratch, 0, n);
            done += n;
        }
        mac.doFinal(into, 0);
    }
}
