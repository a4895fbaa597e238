package dev.cutover.dualwrite;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the parameter that names the row(s) a repository method touches. Its value, rendered with
 * {@code String.valueOf}, is the routing key: writes mirror that key's row, reads are routed by it.
 * An {@link Iterable} or an array names several keys (batch writes); a null value or element fails
 * the call before anything is written. At most one parameter per method carries it; when the key
 * must be computed, use {@link RepositoryBuilder#routingKey(String, java.util.function.Function)}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface RoutingKey {
}
