package io.coedge.graph;

import java.util.List;

/**
 * One operator application in a {@link Graph}. Inputs and outputs name values; an empty name marks an
 * omitted optional input (as in ONNX).
 */
public record Node(String name, Op op, List<String> inputs, List<String> outputs) {
    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    public String output() {
        return outputs.get(0);
    }

    @Override
    public String toString() {
        return name + " (" + op.type() + ")";
    }
}
