package io.coedge.transport.protocol;

/**
 * Control message types. The numeric code is what travels in {@link ControlHeader#TYPE_OFFSET}; codes
 * are never reused so that old and new peers can tell an unknown type from a known one.
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
