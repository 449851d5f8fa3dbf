// The step driver for one backend. This file is included once per backend, inside that
// backend's namespace, with AIMARKET_EXEC naming the Thrust execution policy:
//   cpu_backend.cpp  -> aimarket::cpu,  thrust::omp::par (compiled by the host compiler)
//   cuda_backend.cu  -> aimarket::cuda, thrust::cuda::par (compiled by nvcc)
// and AIMARKET_RANGE_PUSH / AIMARKET_RANGE_POP opening and closing a labelled range: NVTX on
// CUDA, so that Nsight Systems names every phase and launch on its timeline; nothing on the
// CPU.
// Every launch covers all replicates at once (batched ensemble). No allocation happens after
// construction: the step loop only launches functors over preallocated arrays, owned per
// domain (device_state.inl). Every array is counted by its owner's footprint, which the memory
// estimate uses before anything is built (tests/cpp/test_memory.cpp checks it against what the
// engine allocates).
//
// Step order (MODEL.md section 4): firm plans; HBM, accelerator and cloud markets clear; labs
// offer their serving capacity; model-API and data markets clear; production, data and capability
// accumulate; service quality and price update; customers choose; entrants take free slots (when
// [entry] rate > 0); finance settles; big tech acquires start-ups ([entry] acquisition_rate > 0);
// every [strategy] adapt_every steps firms review their strategies. A scenario event changes levers
// between steps. With `frozen` only the customer phases run.

#include "backend/device_state.inl"

class Engine final : public EnsembleBackend {
 public:
  explicit Engine(const MarketSetup& setup)
      : replicates_(setup.replicates),
        customers_(setup.customers),
        firms_(setup.firms),
        seed_(setup.seed),
        demand_(setup.demand),
        frozen_(setup.frozen),
        levers_(setup.levers),
        utility_levers_(setup.utility_levers),
        entry_(setup.entry),
        adaptation_(setup.adaptation),
        acquisition_(setup.acquisition),
        consider_all_firms_(setup.demand.consideration_set == 0 ||
                            setup.demand.consideration_set >= setup.firms),
        price_floor_(setup.price_floor),
        customer_(setup),
        segment_market_(setup, cells(), !consider_all_firms_),
        firm_static_(setup),
        firm_(setup, cells(), adaptation_.every > 0),
        upstream_(setup, cells()) {
    // The level each firm's endogenous quality moves from: its value at the initial state.
    if (!frozen_) {
      launch("SetQualityStart", replicates_ * firms_ * kSegments, SetQualityStart{firm_context(0)});
    }
  }

  const char* name() const override { return kBackendName; }

  void advance_firms(std::int64_t t) override {
    if (frozen_) return;
    PhaseClock clock(*this);
    const std::int64_t firm_threads = replicates_ * firms_;
    const FirmStepContext context = firm_context(t);
    clock.phase("upstream markets");
    launch("PlanFirmStep", firm_threads, PlanFirmStep{context});
    clear_market(kMarketHbm, true, t);
    launch("SetAcceleratorSupply", firm_threads, SetAcceleratorSupply{context});
    clear_market(kMarketAccelerator, true, t);
    clear_market(kMarketCloud, false, t);
    launch("SetModelApiSupply", firm_threads, SetModelApiSupply{context});
    clear_market(kMarketModel, false, t);
    clear_market(kMarketData, false, t);
    clock.phase("firm state");
    launch("ProduceAndAccumulate", firm_threads, ProduceAndAccumulate{context});
    launch("UpdateServiceOffer", firm_threads * kSegments, UpdateServiceOffer{context});
  }

  void finish_step(std::int64_t t) override {
    PhaseClock clock(*this);
    const std::int64_t firm_threads = replicates_ * firms_;
    const FirmStepContext context = firm_context(t);
    clock.phase("market aggregates");
    const SegmentMarketView market = market_aggregates();
    clock.phase("customer choice");
    launch(
        "CustomerChoiceStep", replicates_ * ((customers_ + 1) / 2),
        CustomerChoiceStep{seed_, static_cast<std::uint32_t>(t), demand_, raw(firm_static_.demand),
                           consider_all_firms_, customer_.view(), firm_view(), market});
    if (!frozen_) {
      clock.phase("finance");
      // Entry comes before finance so that a firm exiting in this step's settlement is never
      // replaced in the same step: its slot is free once its customers have left (next step).
      // A scenario's boost enters firms too when the base rate is 0.
      bool boosted = false;
      for (int g = 0; g < kRegions; ++g) boosted = boosted || entry_.region_boost[g] > 0.0;
      if ((entry_.rate > 0.0 || boosted) && entry_.first_slot < firms_) {
        launch("EnterFirms", replicates_,
               EnterFirms{context, entry_, seed_, static_cast<std::uint32_t>(t)});
      }
      launch("SettleFinance", firm_threads, SettleFinance{context, seed_});
      launch("ApplyExits", firm_threads, ApplyExits{context});
      thrust::device_vector<std::int32_t>& acquirers = firm_static_.acquirers;
      if (acquisition_.rate > 0.0 && !acquirers.empty()) {
        launch("AcquireStartups", replicates_,
               AcquireStartups{context, acquisition_, seed_, static_cast<std::uint32_t>(t),
                               raw(acquirers), static_cast<std::int32_t>(acquirers.size()),
                               entry_.first_slot});
      }
      if (adaptation_.every > 0 && (t + 1) % adaptation_.every == 0) {
        launch("ReviewGrowth", firm_threads, ReviewGrowth{firm_.view(), raw(firm_.growth)});
        launch("AdaptStrategies", firm_threads,
               AdaptStrategies{context, adaptation_, seed_, static_cast<std::uint32_t>(t),
                               raw(firm_.strategy_next), raw(firm_.growth)});
        firm_.strategy.swap(firm_.strategy_next);
      }
    }
  }

  void count_rest_choices(std::uint32_t round, std::vector<std::int32_t>& chosen,
                          std::vector<std::int32_t>& kept,
                          std::vector<std::int32_t>& adopted) override {
    PhaseClock clock(*this);
    clock.phase("utility calibration");
    const SegmentMarketView market = market_aggregates();
    thrust::fill(segment_market_.rest_chosen.begin(), segment_market_.rest_chosen.end(), 0);
    thrust::fill(segment_market_.rest_kept.begin(), segment_market_.rest_kept.end(), 0);
    thrust::fill(segment_market_.rest_adopted.begin(), segment_market_.rest_adopted.end(), 0);
    CountRestChoices counter{
        CustomerChoiceStep{seed_, rest_calibration_step(round), demand_, raw(firm_static_.demand),
                           consider_all_firms_, customer_.view(), firm_view(), market},
        raw(segment_market_.rest_group), raw(segment_market_.rest_chosen),
        raw(segment_market_.rest_kept), raw(segment_market_.rest_adopted)};
    launch("CountRestChoices", replicates_ * customers_, counter);
    copy_to_host(segment_market_.rest_chosen, chosen);
    copy_to_host(segment_market_.rest_kept, kept);
    copy_to_host(segment_market_.rest_adopted, adopted);
  }

  void set_rest_groups(const std::vector<std::int32_t>& group) override {
    thrust::copy(group.begin(), group.end(), segment_market_.rest_group.begin());
  }

  void set_utility_offset(const std::vector<double>& offset) override {
    thrust::copy(offset.begin(), offset.end(), firm_static_.utility_offset.begin());
  }

  void apply_scenario(const ScenarioUpdate& update) override {
    levers_ = update.levers;
    utility_levers_ = update.utility_levers;
    thrust::copy(update.export_blocked.begin(), update.export_blocked.end(),
                 firm_static_.export_blocked.begin());
    for (int g = 0; g < kRegions; ++g)
      entry_.region_boost[g] = update.entry_boost[static_cast<std::size_t>(g)];
    for (int a = 0; a < kArchetypes; ++a)
      entry_.boost_archetype[a] = update.entry_boost_archetype[static_cast<std::size_t>(a)];
  }

  void read_tallies(std::vector<std::int32_t>& tally) override {
    copy_to_host(segment_market_.tally, tally);
  }

  void read_snapshot(EnsembleSnapshot& s) override {
    copy_to_host(segment_market_.tally, s.tally);
    // Customers by region, all segments together, and adopters by segment: the market
    // tallies (primary providers) summed over segments and over regions and firms.
    std::vector<std::int32_t> by_market;
    copy_to_host(segment_market_.market_tally, by_market);
    s.region_tally.assign(
        static_cast<std::size_t>(replicates_) * kRegions * static_cast<std::size_t>(firms_), 0);
    s.adopters.assign(static_cast<std::size_t>(replicates_) * kSegments, 0);
    for (std::int64_t r = 0; r < replicates_; ++r) {
      for (int seg = 0; seg < kSegments; ++seg) {
        for (int g = 0; g < kRegions; ++g) {
          for (std::int32_t j = 0; j < firms_; ++j) {
            const std::int32_t n = by_market[static_cast<std::size_t>(
                layout::replicate_segment_region_firm(r, seg, g, j, firms_))];
            s.region_tally[static_cast<std::size_t>(
                layout::replicate_region_firm(r, g, j, firms_))] += n;
            s.adopters[static_cast<std::size_t>(layout::replicate_segment(r, seg))] += n;
          }
        }
      }
    }
    copy_to_host(upstream_.sold, s.sold);
    copy_to_host(upstream_.revenue, s.revenue);
    copy_to_host(upstream_.bought, s.bought);
    copy_to_host(upstream_.paid, s.paid);
    copy_to_host(upstream_.price, s.price);
    copy_to_host(firm_.service_price, s.service_price);
    copy_to_host(firm_.service_quality, s.service_quality);
    copy_to_host(firm_.capability, s.capability);
    copy_to_host(firm_.data_stock, s.data_stock);
    copy_to_host(firm_.public_held, s.public_held);
    copy_to_host(firm_.licensed_held, s.licensed_held);
    copy_to_host(firm_.general_acquired, s.general_acquired);
    copy_to_host(firm_.data_licensed, s.data_licensed);
    copy_to_host(firm_.domain_data, s.domain_data);
    copy_to_host(firm_.domain_acquired, s.domain_acquired);
    copy_to_host(firm_.installed_compute, s.installed_compute);
    copy_to_host(firm_.fab_capacity, s.fab_capacity);
    copy_to_host(firm_.hbm_capacity, s.hbm_capacity);
    copy_to_host(firm_.packaging_capacity, s.packaging_capacity);
    copy_to_host(firm_.capex, s.capex);
    copy_to_host(firm_.operating_income, s.operating_income);
    copy_to_host(firm_.rd_stock, s.rd_stock);
    copy_to_host(firm_.cash, s.cash);
    copy_to_host(firm_.service_revenue, s.service_revenue);
    copy_to_host(firm_.external_cost, s.external_cost);
    copy_to_host(firm_.funding, s.funding);
    copy_to_host(firm_.alive, s.alive);
    copy_to_host(firm_.acquired_by, s.acquired_by);
  }

  void read_providers(std::vector<std::int32_t>& provider) override {
    copy_to_host(customer_.provider, provider);
  }

  void read_other_services(std::vector<std::int32_t>& others) override {
    copy_to_host(customer_.secondary, others);
  }

  bool overflowed() override {
    // One word from the device; a frozen market runs no money arithmetic. thrust::copy rather
    // than overflow_any[0], whose device reference binds a null policy (UBSan reports it).
    if (frozen_) return false;
    std::uint32_t any = 0;
    thrust::copy(firm_.overflow_any.begin(), firm_.overflow_any.end(), &any);
    return any != 0;
  }

  void read_overflow(std::vector<std::int64_t>& overflow) override {
    copy_to_host(firm_.overflow, overflow);
  }

  // The bytes the constructor will allocate, from the sizes alone: each owner's footprint.
  // Index lists of firms (buyers and sellers per market, open-weight firms, model developers,
  // acquirers) are counted at their largest, every firm.
  static EngineFootprint footprint(const EngineSizes& s) {
    EngineFootprint footprint;
    footprint.arrays = CustomerState::footprint(s) + SegmentMarketState::footprint(s) +
                       FirmStaticState::footprint(s) + FirmDynamicState::footprint(s) +
                       UpstreamMarketState::footprint(s);
    // replicate_rows (and the price table) fill one host vector of all replicates' rows before
    // copying it: the customers' providers, or the widest firm table ([market], [parameter]
    // or [segment] by firm).
    const double r = static_cast<double>(s.replicates);
    const double widest_firm_row =
        static_cast<double>(s.firms) * kF64 *
        std::max<double>(std::max<double>(kUpstreamMarkets, kStrategyParameters), kSegments);
    footprint.staging =
        std::max(s.initial_customers ? r * static_cast<double>(s.customers) * kI32 : 0.0,
                 r * widest_firm_row);
    return footprint;
  }

  // The bytes the owners allocated.
  double array_bytes() const override {
    return customer_.bytes() + segment_market_.bytes() + firm_static_.bytes() + firm_.bytes() +
           upstream_.bytes();
  }

  double customer_state_bytes() const override {
    return CustomerState::bytes_per_customer_replicate(replicates_, customer_.secondary_slots + 1);
  }

 private:
  // Opens a labelled range (see the top of this file) for its lifetime.
  class Range {
   public:
    explicit Range(const char* label) { AIMARKET_RANGE_PUSH(label); }
    ~Range() { AIMARKET_RANGE_POP(); }
    Range(const Range&) = delete;
    Range& operator=(const Range&) = delete;
  };

  // The phases of one step: each is a labelled range, and is timed when phase timing is on.
  // Thrust's blocking algorithms return after their kernels finish, so a phase's time is the
  // device work of its launches. A phase ends where the next begins, or with the step.
  class PhaseClock {
   public:
    explicit PhaseClock(Engine& engine) : engine_(engine) {}
    ~PhaseClock() { end(); }
    PhaseClock(const PhaseClock&) = delete;
    PhaseClock& operator=(const PhaseClock&) = delete;
    void phase(const char* name) {
      end();
      AIMARKET_RANGE_PUSH(name);
      phase_ = name;
      start_ = std::chrono::steady_clock::now();
    }

   private:
    void end() {
      if (phase_ == nullptr) return;
      AIMARKET_RANGE_POP();
      if (engine_.phase_timing_) {
        const auto now = std::chrono::steady_clock::now();
        engine_.add_phase_time(phase_, std::chrono::duration<double>(now - start_).count());
      }
      phase_ = nullptr;
    }

    Engine& engine_;
    const char* phase_ = nullptr;
    std::chrono::steady_clock::time_point start_;
  };

  template <typename Functor>
  void launch(const char* label, std::int64_t threads, const Functor& functor) {
    if (threads > 0) {
      const Range range(label);
      thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0), threads,
                         functor);
    }
  }

  void clear_market(int market, bool export_controlled, std::int64_t t) {
    thrust::device_vector<std::int32_t>& buyer_list = upstream_.buyers[market];
    thrust::device_vector<std::int32_t>& seller_list = upstream_.sellers[market];
    const auto buyers = static_cast<std::int32_t>(buyer_list.size());
    const auto sellers = static_cast<std::int32_t>(seller_list.size());
    if (buyers == 0 || sellers == 0) return;
    static const char* const kMarketLabels[kUpstreamMarkets] = {
        "clear HBM", "clear accelerators", "clear cloud", "clear model API", "clear data"};
    const Range range(kMarketLabels[market]);
    MarketClearing clearing{};
    clearing.market = market;
    clearing.firms = firms_;
    clearing.buyers = raw(buyer_list);
    clearing.buyer_count = buyers;
    clearing.sellers = raw(seller_list);
    clearing.seller_count = sellers;
    clearing.firm = firm_static_.view();
    clearing.alive = raw(firm_.alive);
    clearing.export_blocked = raw(firm_static_.export_blocked);
    clearing.apply_export_controls = export_controlled;
    clearing.capability = raw(firm_.capability);
    clearing.params = raw(firm_static_.params);
    clearing.m = upstream_.view();
    clearing.overflow = firm_.overflow_record();
    clearing.step = t;
    clearing.levers = levers_;
    // Every market reprices toward clearing: the model API against the labs' serving capacity
    // (kernels/model_api.hpp), data against the vendors' finite corpora
    // (kernels/data_stocks.hpp).
    launch("SellerAttraction", replicates_ * sellers, SellerAttraction{clearing});
    launch("SumBuyerWeights", replicates_ * buyers, SumBuyerWeights{clearing});
    launch("ClearSeller", replicates_ * sellers, ClearSeller{clearing});
    launch("ReceiveBuyer", replicates_ * buyers, ReceiveBuyer{clearing});
    launch("RepriceSeller", replicates_ * sellers, RepriceSeller{clearing, price_floor_[market]});
  }

  // The segment aggregates the customers' choice reads (MODEL.md, one step, items 1-3),
  // recomputed from the tallies: adoption and its Bass hazard, the network term, and the
  // awareness sampler when consideration sets are drawn.
  SegmentMarketView market_aggregates() {
    const SegmentMarketView market = segment_market_.view();
    const auto segment_threads = static_cast<std::int64_t>(cells().segment());
    launch(
        "UpdateSegmentAdoption", segment_threads,
        UpdateSegmentAdoption{demand_, firms_, raw(segment_market_.customers_in_market), market});
    launch("UpdateNetworkTerm", segment_threads * firms_,
           UpdateNetworkTerm{raw(firm_static_.demand), firms_, market});
    if (!consider_all_firms_) {
      launch("BuildAwarenessSampler", static_cast<std::int64_t>(cells().segment_region()),
             BuildAwarenessSampler{raw(firm_static_.demand), firm_view(), market});
    }
    return market;
  }

  Cells cells() const { return Cells{replicates_, customers_, firms_}; }

  // The firms as the customers' choice sees them: the service offer of each replicate, what
  // each firm serves and its region terms.
  FirmView firm_view() {
    FirmView v{};
    v.firms = firms_;
    v.quality_term = raw(firm_.quality_term);
    v.price_term = raw(firm_.price_term);
    v.serves = raw(firm_static_.serves);
    v.language_fit = raw(firm_static_.language_fit);
    v.home = raw(firm_static_.region);
    v.levers = utility_levers_;
    v.utility_offset = raw(firm_static_.utility_offset);
    v.calibration_class = raw(firm_static_.calibration_class);
    v.awareness = raw(firm_.awareness);
    v.alive = raw(firm_.alive);
    v.acquired_by = raw(firm_.acquired_by);
    return v;
  }
  FirmStepContext firm_context(std::int64_t t) {
    FirmStepContext c{};
    c.params = raw(firm_static_.params);
    c.levers = levers_;
    c.firm = firm_static_.view();
    c.dyn = firm_.view();
    c.m = upstream_.view();
    c.tally = raw(segment_market_.tally);
    c.step = static_cast<double>(t);
    c.overflow = firm_.overflow_record();
    return c;
  }

  std::int64_t replicates_;
  std::int64_t customers_;
  std::int32_t firms_;
  std::uint64_t seed_;
  DemandParams demand_;
  bool frozen_;
  RegionLevers levers_;
  UtilityLevers utility_levers_;  // the scenario's levers on utility (apply_scenario changes them)
                                  // // the scenario's levers in force (apply_scenario changes them)
  EntryParams entry_;
  AdaptationParams adaptation_;
  AcquisitionParams acquisition_;
  bool consider_all_firms_;
  std::array<double, kUpstreamMarkets> price_floor_;

  // The device state, by domain (device_state.inl).
  CustomerState customer_;
  SegmentMarketState segment_market_;
  FirmStaticState firm_static_;
  FirmDynamicState firm_;
  UpstreamMarketState upstream_;
};
