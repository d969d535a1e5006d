package io.coedge.transport.runtime;

/** Parsing of {@code HOST:PORT} endpoints, with errors that say what to write instead. */
public final class Endpoints {
    private Endpoints() {
    }

    /** Checks {@code endpoint} is HOST:PORT with a port in 0..65535; returns the port. */
    public static int parse(String endpoint, String what) {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException(what + " is missing; give HOST:PORT, e.g. 127.0.0.1:40123");
        }
        int colon = endpoint.lastIndexOf(':');
        if (colon <= 0 || colon == endpoint.length() - 1) {
            throw new IllegalArgumentException(what + " '" + endpoint + "' is not HOST:PORT, e.g. 127.0.0.1:40123");
        }
        try {
            int port = Integer.parseInt(endpoint.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + endpoint + "' has no valid port (0-65535)");
        }
    }

    public static String host(String endpoint) {
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }
}
