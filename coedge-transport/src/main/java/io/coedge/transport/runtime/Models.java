package io.coedge.transport.runtime;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.onnx.OnnxImporter;
import io.coedge.zoo.ModelZoo;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Turns a {@link ModelSpec} into a {@link Graph} on the process that runs it. Zoo models and ONNX bytes
 * are built by core; applications can register graphs they build in code under a name (every worker
 * process must register the same name to the same graph).
 */
public final class Models {
    private static final Map<String, Supplier<Graph>> REGISTRY = new ConcurrentHashMap<>();

    private Models() {
    }

    /** Makes {@code name} deployable as {@link ModelSpec#registered(String)} in this process. */
    public static void register(String name, Supplier<Graph> builder) {
        REGISTRY.put(name, builder);
    }

    /** Builds the graph of {@code spec}; a model this process cannot build is a {@link ModelException}. */
    public static Graph build(ModelSpec spec) {
        return switch (spec.kind()) {
            case REGISTERED -> {
                Supplier<Graph> b = REGISTRY.get(spec.name());
                if (b == null) {
                    throw new ModelException("model '" + spec.name() + "' is not registered in this process; register it with "
                            + "Models.register on every worker, or deploy a zoo or ONNX model");
                }
                yield b.get();
            }
            case ZOO -> zoo(spec.name(), spec.seed());
            case ONNX -> onnx(spec.name(), spec.bytes());
        };
    }

    private static Graph zoo(String name, long seed) {
        if (seed != 0) {
            throw new ModelException("zoo model '" + name + "': this build has one set of seeded weights per model; deploy with seed 0");
        }
        return ModelZoo.build(name);
    }

    /** Parsed from the bytes themselves: nothing is staged in a file that a killed process would leave behind. */
    private static Graph onnx(String name, byte[] bytes) {
        return OnnxImporter.fromModel(OnnxImporter.parse(bytes, name), name, null);
    }
}
