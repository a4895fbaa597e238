package dev.cutover.examples.boot;

import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

/** Customers; a derived query finds one by its email. */
public interface CustomerRepository extends JpaRepository<Customer, Long> {
    Optional<Customer> findByEmail(String email);
}
