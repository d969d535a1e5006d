package io.coedge.graph;

import io.coedge.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Operator attributes as ONNX gives them: ints, floats, lists, strings, tensors. */
public final class Attributes {
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final String nodeName;

    public Attributes(String nodeName) {
        this.nodeName = nodeName;
    }

    /** Sets an attribute (Long, Float, String, long[], float[] or Tensor); returns this. */
    public Attributes put(String name, Object value) {
        values.put(name, value);
        return this;
    }

    /** True when the node sets attribute {@code name}. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** An INT attribute, or {@code dflt} when absent; a value of another type is a {@link ModelException} naming the node. */
    public long getInt(String name, long dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw bad(name, "an integer", v);
    }

    /** A FLOAT attribute, or {@code dflt} when absent. */
    public float getFloat(String name, float dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.floatValue();
        }
        throw bad(name, "a float", v);
    }

    /** An INTS attribute, or {@code dflt} when absent. */
    public long[] getInts(String name, long[] dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof long[] a) {
            return a.clone();
        }
        throw bad(name, "a list of integers", v);
    }

    /** A FLOATS attribute, or {@code dflt} when absent. */
    public float[] getFloats(String name, float[] dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof float[] a) {
            return a.clone();
        }
        throw bad(name, "a list of floats", v);
    }

    /** A STRING attribute, or {@code dflt} when absent. */
    public String getString(String name, String dflt) {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw bad(name, "a string", v);
    }

    /** A TENSOR attribute (e.g. Constant's value), or null when absent. */
    public Tensor getTensor(String name) {
        Object v = values.get(name);
        if (v == null || v instanceof Tensor) {
            return (Tensor) v;
        }
        throw bad(name, "a tensor", v);
    }

    public Map<String, Object> asMap() {
        return Map.copyOf(values);
    }

    private ModelException bad(String name, String expected, Object v) {
        String shown = v instanceof long[] a ? Arrays.toString(a) : v instanceof float[] f ? Arrays.toString(f) : String.valueOf(v);
        return new ModelException("node '" + nodeName + "': attribute '" + name + "' should be " + expected + ", got " + shown);
    }
}
