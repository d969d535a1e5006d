package io.coedge.planner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small YAML subset profile files use, parsed by hand: top-level {@code key: value} lines and one
 * top-level list ({@code devices:}) of flat maps whose items start with {@code - key: value} and go on
 * with indented {@code key: value} lines. {@code #} after whitespace (or at the start of a line) begins
 * a comment. Values are plain scalars; surrounding quotes are removed. Nothing else of YAML is supported,
 * and anything else is refused with the line number.
 */
final class MiniYaml {
    /** Top-level scalars and the items of the top-level list. */
    record Document(Map<String, String> top, String listKey, List<Map<String, String>> items) {
    }

    private MiniYaml() {
    }

    static Document parse(String source, String text) {
        Map<String, String> top = new LinkedHashMap<>();
        List<Map<String, String>> items = new ArrayList<>();
        String listKey = null;
        Map<String, String> item = null;
        String[] lines = text.split("\r?\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String raw = stripComment(lines[n]);
            if (raw.isBlank()) {
                continue;
            }
            int indent = 0;
            while (indent < raw.length() && raw.charAt(indent) == ' ') {
                indent++;
            }
            if (indent < raw.length() && raw.charAt(indent) == '\t') {
                throw error(source, n, "tabs are not allowed for indentation; use spaces");
            }
            String line = raw.trim();
            if (indent == 0) {
                item = null;
                String[] kv = keyValue(source, n, line);
                if (kv[1].isEmpty()) {
                    if (listKey != null) {
                        throw error(source, n, "only one list is allowed ('" + listKey + "' already started)");
                    }
                    listKey = kv[0];
                } else {
                    top.put(kv[0], kv[1]);
                }
                continue;
            }
            if (listKey == null) {
                throw error(source, n, "indented line outside a list");
            }
            if (line.startsWith("- ") || line.equals("-")) {
                item = new LinkedHashMap<>();
                items.add(item);
                line = line.substring(1).trim();
                if (line.isEmpty()) {
                    continue;
                }
            } else if (item == null) {
                throw error(source, n, "list items start with '- '");
            }
            String[] kv = keyValue(source, n, line);
            if (kv[1].isEmpty()) {
                throw error(source, n, "'" + kv[0] + "' has no value (nested maps are not supported; use dotted keys such as link.bandwidth)");
            }
            if (item.put(kv[0], kv[1]) != null) {
                throw error(source, n, "key '" + kv[0] + "' is given twice in one item");
            }
        }
        return new Document(top, listKey, items);
    }

    private static String[] keyValue(String source, int n, String line) {
        int c = line.indexOf(':');
        if (c <= 0) {
            throw error(source, n, "expected 'key: value', got '" + line + "'");
        }
        String key = line.substring(0, c).trim();
        String value = line.substring(c + 1).trim();
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            value = value.substring(1, value.length() - 1);
        }
        return new String[] {key, value};
    }

    private static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == '#' && !quoted && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static IllegalArgumentException error(String source, int line, String message) {
        return new IllegalArgumentException(source + " line " + (line + 1) + ": " + message);
    }

    /** Quotes a value when it would not survive a round trip unquoted. */
    static String scalar(String v) {
        if (v.isEmpty() || v.contains("#") || v.contains(":") || !v.equals(v.trim()) || v.startsWith("-")
                || v.startsWith("\"") || v.startsWith("'")) {
            return "\"" + v.replace("\"", "'") + "\"";
        }
        return v;
    }
}
