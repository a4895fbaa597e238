package dev.cutover.examples.boot;

import dev.cutover.examples.boot.ShopService.CustomerView;
import dev.cutover.examples.boot.ShopService.LineView;
import dev.cutover.examples.boot.ShopService.OrderView;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The shop's REST API. */
@RestController
public class ShopController {
    /** A new customer. */
    public record NewCustomer(String name, String email) {
    }

    /** A rename of a customer seen at {@code version}. */
    public record Rename(String name, long version) {
    }

    /** The lines of a new order, or the new lines of an order seen at {@code version}. */
    public record Lines(List<LineView> lines, Long version) {
    }

    private final ShopService shop;

    ShopController(ShopService shop) {
        this.shop = shop;
    }

    @PostMapping("/customers")
    @ResponseStatus(HttpStatus.CREATED)
    public CustomerView createCustomer(@RequestBody NewCustomer body) {
        return shop.createCustomer(body.name(), body.email());
    }

    @GetMapping("/customers/{id}")
    public CustomerView customer(@PathVariable long id) {
        return shop.customer(id);
    }

    @GetMapping("/customers")
    public CustomerView customerByEmail(@RequestParam String email) {
        return shop.customerByEmail(email);
    }

    @PutMapping("/customers/{id}")
    public CustomerView rename(@PathVariable long id, @RequestBody Rename body) {
        return shop.renameCustomer(id, body.name(), body.version());
    }

    @PostMapping("/customers/{id}/orders")
    @ResponseStatus(HttpStatus.CREATED)
    public OrderView placeOrder(@PathVariable long id, @RequestBody Lines body) {
        return shop.placeOrder(id, body.lines());
    }

    @GetMapping("/customers/{id}/orders")
    public List<OrderView> orders(@PathVariable long id, @RequestParam(defaultValue = ShopOrder.OPEN) String status) {
        return shop.ordersOf(id, status);
    }

    @PostMapping("/customers/{id}/orders/close")
    public Map<String, Integer> closeOpenOrders(@PathVariable long id) {
        return Map.of("closed", shop.closeOpenOrders(id));
    }

    @GetMapping("/orders/{id}")
    public OrderView order(@PathVariable long id) {
        return shop.order(id);
    }

    @PutMapping("/orders/{id}/lines")
    public OrderView replaceLines(@PathVariable long id, @RequestBody Lines body) {
        return shop.replaceLines(id, body.lines(), body.version() == null ? -1 : body.version());
    }

    @DeleteMapping("/orders/{id}")
    public ResponseEntity<Void> deleteOrder(@PathVariable long id) {
        shop.deleteOrder(id);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/orders/count")
    public Map<String, Long> count(@RequestParam(defaultValue = ShopOrder.OPEN) String status) {
        return Map.of("count", shop.countOrders(status));
    }

    @ExceptionHandler(NoSuchElementException.class)
    ResponseEntity<Map<String, String>> notFound(NoSuchElementException e) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Map.of("error", "not found"));
    }

    @ExceptionHandler({OptimisticLockingFailureException.class, IllegalStateException.class})
    ResponseEntity<Map<String, String>> conflict(RuntimeException e) {
        return ResponseEntity.status(HttpStatus.CONFLICT).body(Map.of("error", String.valueOf(e.getMessage())));
    }
}
