package io.coedge.transport.protocol;

/**
 * Control message types. The numeric code is what travels in {@link ControlHeader#TYPE_OFFSET}; codes
 * are never reused so that old and new peers can tell an unknown type from a known one.
 *
 * <p>Bodies (after the header, before the MAC; little-endian; {@code str} and {@code bytes} are an int32
 * length then the bytes, see {@link BodyWriter}; the header's sender id is the worker's member id, -1 for
 * the coordinator):
 * <pre>
 *  JOIN          str replyEndpoint | int32 memberId | str coordinatorName        (requestId = join nonce)
 *  HELLO         str name | int64 incarnation | int32 threads | str aeronDir      (requestId = the JOIN's nonce)
 *  DEPLOY_MODEL  byte[32] sha256 | int32 kind (1 zoo, 2 registered, 3 onnx) | str name | int64 seed |
 *                int64 totalBytes | int64 chunkOffset | bytes chunk
 *                (an empty chunk at offset 0 without FLAG_LAST_CHUNK is the offer; FLAG_LAST_CHUNK ends an upload)
 *  MODEL_STATUS  byte[32] sha256 | int32 have (1: built and ready, 0: send the bytes)
 *  PLAN          byte[32] sha256 | str plan ("whole-model", or Plan.toText()) [| int32 myDevice | int32 n |
 *                str endpoint x n]                                                (header planVersion = the plan's)
 *  INFER         empty (partitioned: the input comes as SCATTER transfers), or a tensor chunk ({@code TensorChunks})
 *  RESULT        a tensor chunk ({@code TensorChunks}); FLAG_LAST_CHUNK on the last
 *  ACK           int32 ackedType [| for INFER: int64 computeNs | int64 flops | int64 bytesSent]
 *  HEARTBEAT     worker: int64 incarnation | int64 inferencesDone | int64 echoedCoordinatorNs;
 *                coordinator: int64 sentAtNs (the worker answers at once, echoing it)
 *  ERROR         int32 code | str message                                          (requestId = the failed request)
 *  BYE           empty
 * </pre>
 * A body that does not parse exactly (a length past the end, trailing bytes) is dropped as
 * {@link FrameCheck#BAD_BODY}.
 */
public enum MessageType {
    /** Worker to coordinator: name, capabilities, the channel it listens on. Also the reply to JOIN. */
    HELLO(1),
    /** Coordinator to worker: the coordinator's reply channel and the device index assigned to the worker. */
    JOIN(2),
    /** Coordinator to worker: a model offer (hash, how to build it) or one chunk of its bytes. */
    DEPLOY_MODEL(3),
    /** Worker to coordinator: whether the worker holds the model with a given hash. */
    MODEL_STATUS(4),
    /** Coordinator to worker: a plan version with the halo peers of this worker. */
    PLAN(5),
    /** Coordinator to worker: run one request; carries (a chunk of) the worker's input band. */
    INFER(6),
    /** Worker to coordinator: (a chunk of) the output of one request. */
    RESULT(7),
    /** Either way: liveness and progress. */
    HEARTBEAT(8),
    /** Either way: a request or a deployment failed; code and message. */
    ERROR(9),
    /** Coordinator to worker: release what belongs to a coordinator session (it is closing). */
    BYE(10),
    /** Either way: acknowledges a message by type (body: acknowledged type code), plan version and request id. */
    ACK(11);

    private static final MessageType[] BY_CODE;

    static {
        int max = 0;
        for (MessageType t : values()) {
            max = Math.max(max, t.code);
        }
        BY_CODE = new MessageType[max + 1];
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The code on the wire. */
    public int code() {
        return code;
    }

    /** The type with this wire code, or {@code null} if the code is unknown. */
    public static MessageType ofCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
