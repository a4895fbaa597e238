package dev.cutover.router.internal;

import dev.cutover.common.internal.Redaction;
import dev.cutover.router.ValueDifference;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The engine behind {@code ValueComparator}: walks two results side by side and collects the paths
 * where they differ. Immutable and thread-safe; the reflective accessors of each class are looked
 * up once and cached.
 */
public final class ValueDiffer {
    private static final int MAX_DEPTH = 64;
    private static final Pattern POSITION = Pattern.compile("\\[[^\\]]*\\]");

    private static final ClassValue<List<Property>> PROPERTIES = new ClassValue<>() {
        @Override
        protected List<Property> computeValue(Class<?> type) {
            return type.isRecord() ? recordComponents(type) : beanProperties(type);
        }
    };

    private final Set<String> ignoredNames = new LinkedHashSet<>();
    private final Set<String> ignoredPaths = new LinkedHashSet<>();
    private final boolean unorderedLists;
    private final boolean ignoreNumericScale;
    private final double doubleEpsilon;
    private final Duration timestampPrecision;
    private final boolean normaliseTimeZones;

    /**
     * Creates a differ.
     *
     * @param ignoredFields field names (without a dot) or paths (with one) left out of the comparison
     * @param unorderedLists whether lists and arrays are compared as multisets
     * @param ignoreNumericScale whether {@code 1.50} equals {@code 1.5}
     * @param doubleEpsilon the tolerance for floating-point values, 0 or more
     * @param timestampPrecision times less than one such unit apart are equal; {@code null} for exact
     * @param normaliseTimeZones whether zoned values are compared as instants
     */
    public ValueDiffer(Collection<String> ignoredFields, boolean unorderedLists, boolean ignoreNumericScale,
                       double doubleEpsilon, ChronoUnit timestampPrecision, boolean normaliseTimeZones) {
        for (String field : ignoredFields) {
            String normalised = withoutPositions(field);
            if (normalised.contains(".")) {
                ignoredPaths.add(normalised);
            } else {
                ignoredNames.add(normalised);
            }
        }
        this.unorderedLists = unorderedLists;
        this.ignoreNumericScale = ignoreNumericScale;
        this.doubleEpsilon = doubleEpsilon;
        this.timestampPrecision = timestampPrecision == null ? null : timestampPrecision.getDuration();
        this.normaliseTimeZones = normaliseTimeZones;
    }

    /**
     * Lists where two values differ.
     *
     * @param source the source's value
     * @param target the target's value
     * @return the differences, with real values, in walk order; empty when equal
     */
    public List<ValueDifference> differences(Object source, Object target) {
        List<ValueDifference> out = new ArrayList<>();
        walk("", source, target, 0, out);
        return out;
    }

    private boolean equal(Object source, Object target, int depth) {
        List<ValueDifference> out = new ArrayList<>();
        walk("", source, target, depth, out);
        return out.isEmpty();
    }

    private void walk(String path, Object a, Object b, int depth, List<ValueDifference> out) {
        if (a == b) {
            return;
        }
        if (a == null || b == null) {
            out.add(new ValueDifference(path, a, b));
            return;
        }
        if (depth > MAX_DEPTH) {
            if (!a.equals(b)) {
                out.add(new ValueDifference(path, a, b));
            }
            return;
        }
        Object x = asJavaTime(a);
        Object y = asJavaTime(b);
        if (x instanceof Number && y instanceof Number) {
            if (!numbersEqual((Number) x, (Number) y)) {
                out.add(new ValueDifference(path, a, b));
            }
        } else if (x instanceof Temporal && y instanceof Temporal) {
            if (!timesEqual((Temporal) x, (Temporal) y)) {
                out.add(new ValueDifference(path, a, b));
            }
        } else if (x instanceof Optional && y instanceof Optional) {
            walk(path, ((Optional<?>) x).orElse(null), ((Optional<?>) y).orElse(null), depth + 1, out);
        } else if (x instanceof Map && y instanceof Map) {
            walkMaps(path, (Map<?, ?>) x, (Map<?, ?>) y, depth, out);
        } else if (x instanceof Set && y instanceof Set) {
            walkUnordered(path, List.copyOf((Set<?>) x), List.copyOf((Set<?>) y), depth, out);
        } else if (isSequence(x) && isSequence(y)) {
            List<Object> xs = asList(x);
            List<Object> ys = asList(y);
            if (unorderedLists) {
                walkUnordered(path, xs, ys, depth, out);
            } else {
                walkOrdered(path, xs, ys, depth, out);
            }
        } else if (x.getClass() != y.getClass() || isPlainValue(x.getClass())) {
            if (!x.equals(y)) {
                out.add(new ValueDifference(path, a, b));
            }
        } else {
            walkProperties(path, x, y, depth, out);
        }
    }

    private void walkMaps(String path, Map<?, ?> a, Map<?, ?> b, int depth, List<ValueDifference> out) {
        Set<Object> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (Object key : keys) {
            String name = String.valueOf(key);
            if (!ignored(name, child(path, name))) {
                walk(child(path, name), a.get(key), b.get(key), depth + 1, out);
            }
        }
    }

    private void walkProperties(String path, Object a, Object b, int depth, List<ValueDifference> out) {
        List<Property> properties = PROPERTIES.get(a.getClass());
        if (properties.isEmpty()) {
            if (!a.equals(b)) {
                out.add(new ValueDifference(path, a, b));
            }
            return;
        }
        for (Property property : properties) {
            String childPath = child(path, property.name);
            if (!ignored(property.name, childPath)) {
                walk(childPath, property.get(a), property.get(b), depth + 1, out);
            }
        }
    }

    private void walkOrdered(String path, List<Object> a, List<Object> b, int depth, List<ValueDifference> out) {
        int size = Math.max(a.size(), b.size());
        for (int i = 0; i < size; i++) {
            walk(path + "[" + i + "]", i < a.size() ? a.get(i) : null, i < b.size() ? b.get(i) : null, depth + 1, out);
        }
    }

    private void walkUnordered(String path, List<?> a, List<?> b, int depth, List<ValueDifference> out) {
        boolean[] used = new boolean[b.size()];
        List<Integer> unmatchedSource = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            int match = -1;
            for (int j = 0; j < b.size() && match < 0; j++) {
                if (!used[j] && equal(a.get(i), b.get(j), depth + 1)) {
                    match = j;
                }
            }
            if (match >= 0) {
                used[match] = true;
            } else {
                unmatchedSource.add(i);
            }
        }
        List<Integer> unmatchedTarget = new ArrayList<>();
        for (int j = 0; j < b.size(); j++) {
            if (!used[j]) {
                unmatchedTarget.add(j);
            }
        }
        // Pairing the leftovers in order reports a changed element as its changed fields rather than
        // as one missing and one extra element.
        int pairs = Math.min(unmatchedSource.size(), unmatchedTarget.size());
        for (int k = 0; k < pairs; k++) {
            int i = unmatchedSource.get(k);
            walk(path + "[" + i + "]", a.get(i), b.get(unmatchedTarget.get(k)), depth + 1, out);
        }
        for (int k = pairs; k < unmatchedSource.size(); k++) {
            int i = unmatchedSource.get(k);
            out.add(new ValueDifference(path + "[" + i + "]", a.get(i), null));
        }
        for (int k = pairs; k < unmatchedTarget.size(); k++) {
            int j = unmatchedTarget.get(k);
            out.add(new ValueDifference(path + "[" + j + "]", null, b.get(j)));
        }
    }

    private boolean numbersEqual(Number a, Number b) {
        if (isFloatingPoint(a) || isFloatingPoint(b)) {
            double x = a.doubleValue();
            double y = b.doubleValue();
            if (Double.isNaN(x) || Double.isNaN(y)) {
                return Double.isNaN(x) && Double.isNaN(y);
            }
            return x == y || Math.abs(x - y) <= doubleEpsilon;
        }
        BigDecimal x = decimal(a);
        BigDecimal y = decimal(b);
        return ignoreNumericScale ? x.compareTo(y) == 0 : x.equals(y);
    }

    private boolean timesEqual(Temporal a, Temporal b) {
        Temporal x = normaliseZone(a);
        Temporal y = normaliseZone(b);
        if (x.getClass() != y.getClass()) {
            return false;
        }
        if (timestampPrecision == null || x instanceof LocalDate || !x.isSupported(ChronoUnit.NANOS)) {
            return x.equals(y);
        }
        if (x instanceof OffsetDateTime && !((OffsetDateTime) x).getOffset().equals(((OffsetDateTime) y).getOffset())
                || x instanceof ZonedDateTime && !((ZonedDateTime) x).getZone().equals(((ZonedDateTime) y).getZone())
                || x instanceof OffsetTime && !((OffsetTime) x).getOffset().equals(((OffsetTime) y).getOffset())) {
            return false;
        }
        return Duration.between(x, y).abs().compareTo(timestampPrecision) < 0;
    }

    private Temporal normaliseZone(Temporal t) {
        if (!normaliseTimeZones) {
            return t;
        }
        if (t instanceof OffsetDateTime) {
            return ((OffsetDateTime) t).toInstant();
        }
        if (t instanceof ZonedDateTime) {
            return ((ZonedDateTime) t).toInstant();
        }
        return t;
    }

    private boolean ignored(String name, String path) {
        return ignoredNames.contains(name) || !ignoredPaths.isEmpty() && ignoredPaths.contains(withoutPositions(path));
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String withoutPositions(String path) {
        return POSITION.matcher(path).replaceAll("");
    }

    /** JDBC's legacy date and time types become their {@code java.time} counterparts. */
    private static Object asJavaTime(Object value) {
        if (value instanceof java.sql.Timestamp) {
            return ((java.sql.Timestamp) value).toLocalDateTime();
        }
        if (value instanceof java.sql.Date) {
            return ((java.sql.Date) value).toLocalDate();
        }
        if (value instanceof java.sql.Time) {
            return ((java.sql.Time) value).toLocalTime();
        }
        if (value instanceof java.util.Date) {
            return ((java.util.Date) value).toInstant();
        }
        return value;
    }

    private static boolean isFloatingPoint(Number n) {
        return n instanceof Double || n instanceof Float;
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof BigDecimal) {
            return (BigDecimal) n;
        }
        if (n instanceof BigInteger) {
            return new BigDecimal((BigInteger) n);
        }
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return BigDecimal.valueOf(n.longValue());
        }
        return new BigDecimal(n.toString());
    }

    private static boolean isSequence(Object value) {
        return value instanceof Collection || value.getClass().isArray();
    }

    private static List<Object> asList(Object value) {
        if (value instanceof Collection) {
            return new ArrayList<>((Collection<?>) value);
        }
        int length = Array.getLength(value);
        List<Object> list = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            list.add(Array.get(value, i));
        }
        return list;
    }

    /** Types compared by {@code equals}: the JDK's own value types, enums, and anything without properties. */
    private static boolean isPlainValue(Class<?> type) {
        if (type.isEnum() || type.isPrimitive() || CharSequence.class.isAssignableFrom(type)) {
            return true;
        }
        String name = type.getName();
        return !type.isRecord() && (name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk."));
    }

    private static List<Property> recordComponents(Class<?> type) {
        List<Property> properties = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            Method accessor = component.getAccessor();
            accessor.trySetAccessible();
            properties.add(new Property(component.getName(), accessor, null));
        }
        return List.copyOf(properties);
    }

    private static List<Property> beanProperties(Class<?> type) {
        List<Property> getters = new ArrayList<>();
        for (Method method : type.getMethods()) {
            String name = propertyName(method);
            if (name != null && method.trySetAccessible()) {
                getters.add(new Property(name, method, null));
            }
        }
        if (!getters.isEmpty()) {
            getters.sort(Comparator.comparing(p -> p.name));
            return List.copyOf(getters);
        }
        List<Property> fields = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (!Modifier.isStatic(modifiers) && !Modifier.isTransient(modifiers) && !field.isSynthetic()
                        && field.trySetAccessible()) {
                    fields.add(new Property(field.getName(), null, field));
                }
            }
        }
        return List.copyOf(fields);
    }

    private static String propertyName(Method method) {
        if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                || method.getDeclaringClass() == Object.class || method.getReturnType() == void.class) {
            return null;
        }
        String name = method.getName();
        if (name.startsWith("get") && name.length() > 3) {
            return decapitalise(name.substring(3));
        }
        if (name.startsWith("is") && name.length() > 2
                && (method.getReturnType() == boolean.class || method.getReturnType() == Boolean.class)) {
            return decapitalise(name.substring(2));
        }
        return null;
    }

    private static String decapitalise(String name) {
        if (name.length() > 1 && Character.isUpperCase(name.charAt(1))) {
            return name;
        }
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    /** A named part of a record or bean, read through its accessor, getter or field. */
    private static final class Property {
        private final String name;
        private final Method method;
        private final Field field;

        Property(String name, Method method, Field field) {
            this.name = name;
            this.method = method;
            this.field = field;
        }

        Object get(Object owner) {
            try {
                return method != null ? method.invoke(owner) : field.get(owner);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Cannot read " + name + " of " + owner.getClass().getName()
                        + " for comparison: " + Redaction.message(e, false), e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("Reading " + name + " of " + owner.getClass().getName()
                        + " for comparison failed: " + Redaction.describe(e.getCause(), false), e.getCause());
            }
        }
    }
}
