package io.coedge.graph;

/**
 * A source of faster kernels, found through {@link java.util.ServiceLoader}. Core never depends on
 * native code: a provider in another module registers itself, and the executor asks providers in
 * order of {@link #priority()} before falling back to the reference kernel.
 */
public interface KernelProvider {
    /** Short name used by {@code --kernels} and {@code coedge.kernels}: native, vector, reference. */
    String name();

    /** Higher is asked first. */
    int priority();

    /** Whether this provider can run on this machine (library loaded, CPU features present). */
    boolean available();

    /** A kernel for this node, or null to let the next provider (finally the reference) handle it. */
    Kernel kernel(KernelContext ctx);
}
