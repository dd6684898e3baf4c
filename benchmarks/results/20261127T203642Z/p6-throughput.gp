set terminal pngcairo size 900,540 font ",11"
set output "p6-throughput.png"
set termoption noenhanced
set grid
set key top left
set title "P6: IOMMU_IOAS_MAP + UNMAP throughput (median, p10-p90)"
set logscale x 2
set logscale y
set xlabel "buffer size (MiB)"
set ylabel "GiB pinned per second"
plot "p6-throughput.dat" index 0 using 1:2:3:4 with yerrorlines title "4 KiB pages, map+unmap", \
     "" index 1 using 1:2:3:4 with yerrorlines title "2 MiB pages, map+unmap", \
     "" index 0 using 1:5 with lines dt 2 title "4 KiB, map only", \
     "" index 1 using 1:5 with lines dt 2 title "2 MiB, map only"
