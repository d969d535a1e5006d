package io.coedge.transport.runtime;

import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.onnx.OnnxImporter;
import io.coedge.zoo.ModelZoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
            case ONNX -> onnx(spec.bytes());
        };
    }

    private static Graph zoo(String name, long seed) {
        if (seed != 0) {
            throw new ModelException("zoo model '" + name + "': this build has one set of seeded weights per model; deploy with seed 0");
        }
        return ModelZoo.build(name);
    }

    private static Graph onnx(byte[] bytes) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("coedge-model", ".onnx");
            Files.write(tmp, bytes);
            return OnnxImporter.load(tmp, null);
        } catch (IOException e) {
            throw new ModelException("cannot stage the ONNX model in a temporary file: " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temp file is harmless
                }
            }
        }
    }
}
