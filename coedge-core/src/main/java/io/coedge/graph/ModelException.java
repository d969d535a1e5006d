package io.coedge.graph;

/**
 * A model the user gave cannot be used: corrupt file, unsupported operator, shape mismatch, bad input.
 * The message names the problem (and the node, where there is one) and is meant to be shown as is.
 */
public class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
