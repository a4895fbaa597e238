package dev.cutover.spring.boot.jpa;

import org.springframework.data.jpa.repository.JpaRepository;

/** Spring Data's repository of customers. */
public interface CustomerRepository extends JpaRepository<Customer, Long> {
}
