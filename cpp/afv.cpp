// Aruoba & Fernandez-Villaverde (JEDC 2015) baseline: the stochastic growth model by value
// function iteration with the paper's monotone search (start at the previous optimum, stop
// at the first decrease), V0 = 0, until sup|V_new - V| < 1e-7 (257 iterations).
// Build: c++ -O3 -o afv afv.cpp.  Run: ./afv [paper] [n] -> "iterations check seconds".
// By default the middle row of P is divided by its sum (0.0082 + 0.9837 + 0.0082 = 1.0001)
// to match vfi.growth.afv2015(); "paper" keeps the paper's numbers (check 0.1465491...).
// n (default 17820) spreads n points evenly over the paper's grid, as afv2015(n) does.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  const bool paper = argc > 1 && std::strcmp(argv[1], "paper") == 0;
  const int nk = argc > 1 + paper ? std::atoi(argv[1 + paper]) : 17820, nz = 5;
  if (nk < 2) return 2;
  const double alpha = 1.0 / 3.0, beta = 0.95;
  const double z[nz] = {0.9792, 0.9896, 1.0000, 1.0106, 1.0212};
  double P[nz][nz] = {{0.9727, 0.0273, 0.0, 0.0, 0.0},
                      {0.0041, 0.9806, 0.0153, 0.0, 0.0},
                      {0.0, 0.0082, 0.9837, 0.0082, 0.0},
                      {0.0, 0.0, 0.0153, 0.9806, 0.0041},
                      {0.0, 0.0, 0.0, 0.0273, 0.9727}};
  if (!paper) {
    for (int s = 0; s < nz; ++s) {
      double sum = 0.0;
      for (int t = 0; t < nz; ++t) sum += P[s][t];
      for (int t = 0; t < nz; ++t) P[s][t] /= sum;
    }
  }
  auto start = std::chrono::steady_clock::now();
  const double kss = std::pow(alpha * beta, 1.0 / (1.0 - alpha));
  std::vector<double> k(nk), y(nk * nz), v(nk * nz, 0.0), vnew(nk * nz), ev(nk * nz);
  std::vector<int> policy(nk * nz);
  const double step = 0.00001 * 17819 / (nk - 1);
  for (int i = 0; i < nk; ++i) k[i] = nk == 17820 ? 0.5 * kss + 0.00001 * i : 0.5 * kss + step * i;
  for (int i = 0; i < nk; ++i)
    for (int s = 0; s < nz; ++s) y[s * nk + i] = z[s] * std::pow(k[i], alpha);
  double diff = 1.0;
  int iterations = 0;
  while (diff > 1e-7) {
    for (int s = 0; s < nz; ++s)  // expected continuation, once per step
      for (int j = 0; j < nk; ++j) {
        double e = 0.0;
        for (int t = 0; t < nz; ++t) e += P[s][t] * v[t * nk + j];
        ev[s * nk + j] = beta * e;
      }
    diff = 0.0;
    for (int s = 0; s < nz; ++s) {
      int j = 0;  // the policy is monotone in k: start at the previous optimum
      for (int i = 0; i < nk; ++i) {
        const double yi = y[s * nk + i];
        double best = (1.0 - beta) * std::log(yi - k[j]) + ev[s * nk + j];
        while (j + 1 < nk && k[j + 1] < yi) {
          double c = (1.0 - beta) * std::log(yi - k[j + 1]) + ev[s * nk + j + 1];
          if (c <= best) break;  // concave in k': the first decrease ends the search
          best = c;
          ++j;
        }
        vnew[s * nk + i] = best;
        policy[s * nk + i] = j;
        diff = std::fmax(diff, std::fabs(best - v[s * nk + i]));
      }
    }
    v.swap(vnew);
    ++iterations;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int check = nk == 17820 ? 999 : (int)std::lround(999.0 * (nk - 1) / 17819);
  std::printf("iterations %d check %.16f seconds %.6f\n", iterations, k[policy[2 * nk + check]],
              seconds);
  return 0;
}
