package io.coedge.partition;

/** A transfer of a partitioned inference could not be completed (timeout, missing message, peer gone). */
public class HaloExchangeException extends RuntimeException {
    public HaloExchangeException(String message) {
        super(message);
    }

    public HaloExchangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
