set terminal pngcairo size 900,540 font ",11"
set output "p5-iops.png"
set termoption noenhanced
set grid
set key top left
set title "P5: 4 KiB random-read IOPS (median, p10-p90)"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set ylabel "IOPS"
set yrange [0:*]
plot "p5-iops.dat" using 2:3:4:xtic(1) title "kernel nvme driver", \
     "" using 5:6:7 title "nvme-example (no-IOMMU cdev)"
